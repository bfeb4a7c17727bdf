using Messaging.Contracts;

namespace Messaging.Client;

public static class DeliveryExtensions
{
    /// <summary>The reference that acknowledges this delivery.</summary>
    public static DeliveryRef ToRef(this Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return new DeliveryRef { ConversationId = delivery.ConversationId, MessageId = delivery.MessageId };
    }
}
