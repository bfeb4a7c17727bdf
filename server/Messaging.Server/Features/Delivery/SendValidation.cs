using Messaging.Contracts;
using Messaging.Server.Hosting;

namespace Messaging.Server.Features.Delivery;

/// <summary>Shape and size checks of a send, before anything is read or written.</summary>
internal static class SendValidation
{
    public static HubError? Check(SendRequest? request, DeliveryOptions limits)
    {
        if (request is null || request.ConversationId == Guid.Empty || request.MessageId == Guid.Empty)
        {
            return Problems.Hub(ErrorCodes.InvalidRequest, "A send names a conversation and a message id.");
        }

        var copies = request.Copies ?? [];
        if (copies.Count > limits.MaxCopiesPerBatch)
        {
            return Problems.Hub(ErrorCodes.PayloadTooLarge, $"A message has at most {limits.MaxCopiesPerBatch} copies.");
        }

        long total = 0;
        var seen = new HashSet<Guid>();
        foreach (var copy in copies)
        {
            if (copy is null || copy.DeviceId == Guid.Empty || !seen.Add(copy.DeviceId))
            {
                return Problems.Hub(ErrorCodes.InvalidRequest, "Each copy names a distinct device.");
            }

            var length = copy.Ciphertext?.Length ?? 0;
            if (length == 0)
            {
                return Problems.Hub(ErrorCodes.InvalidRequest, "A copy's ciphertext is empty.");
            }

            if (length > limits.MaxCopyBytes)
            {
                return Problems.Hub(ErrorCodes.PayloadTooLarge, $"A copy has at most {limits.MaxCopyBytes} bytes.");
            }

            total += length;
        }

        return total > limits.MaxBatchBytes
            ? Problems.Hub(ErrorCodes.PayloadTooLarge, $"A message has at most {limits.MaxBatchBytes} bytes in all.")
            : null;
    }

    public static HubError? Check(AcknowledgeRequest? request, DeliveryOptions limits) =>
        request?.Deliveries is not { Count: > 0 } deliveries || deliveries.Any(d => d is null || d.ConversationId == Guid.Empty || d.MessageId == Guid.Empty)
            ? Problems.Hub(ErrorCodes.InvalidRequest, "An acknowledgement names one or more deliveries.")
            : deliveries.Count > limits.MaxAcknowledgementsPerCall
                ? Problems.Hub(ErrorCodes.PayloadTooLarge, $"At most {limits.MaxAcknowledgementsPerCall} deliveries per acknowledgement.")
                : null;
}
