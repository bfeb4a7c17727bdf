using System.Globalization;
using Messaging.Server.Features.Accounts;
using Messaging.Server.Features.Accounts.SecondFactor;
using Messaging.Server.Features.Accounts.Sessions;
using Messaging.Server.Features.Audit;
using Messaging.Server.Features.Conversations;
using Messaging.Server.Features.Delivery;
using Messaging.Server.Features.Devices;
using Messaging.Server.Features.Keys;
using Messaging.Server.Features.Notifications;
using Messaging.Server.Features.Practices;
using Messaging.Server.Storage;

namespace Messaging.Server.Tests.Storage;

/// <summary>The stores of one adapter, over one fresh database.</summary>
internal sealed record StoreSet(
    IAccountStore Accounts,
    IDeviceStore Devices,
    IConversationStore Conversations,
    IMessageStore Messages,
    IAuditLog Audit,
    IPrekeyStore Prekeys,
    IPracticeStore Practices,
    IInvitationStore Invitations,
    ISessionStore Sessions,
    ISecondFactorStore SecondFactors,
    INotificationStore Notifications,
    IStoreHealth Health);

/// <summary>
/// The storage contract: what every adapter must do, written once and run against each (SQLite, MongoDB). xunit makes
/// a new instance per test, so each test starts on an empty database of its own. The tests of each interface are in
/// the partial files beside this one.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    /// <summary>A fixed clock: every time in these tests is an offset from it.</summary>
    private protected static readonly DateTimeOffset T0 = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);

    private protected static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    /// <summary>The sending account in message tests (the message store does not check accounts).</summary>
    private protected static readonly Guid SenderAccount = Guid.Parse("5e9de000-0000-4000-8000-000000000001");

    private StoreSet? stores;

    /// <summary>The stores under test; skips the test when the adapter has no database to run on here.</summary>
    private protected StoreSet Stores
    {
        get
        {
            if (stores is null)
            {
                Assert.Skip(SkipReason);
            }

            return stores;
        }
    }

    private protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Why <see cref="CreateStoresAsync"/> gave no stores.</summary>
    private protected virtual string SkipReason => "This adapter has no database here.";

    /// <summary>The adapter's stores over a fresh, empty database, or null when none can be had on this machine.</summary>
    private protected abstract Task<StoreSet?> CreateStoresAsync();

    /// <summary>Deletes the database made by <see cref="CreateStoresAsync"/>.</summary>
    private protected abstract ValueTask DeleteDatabaseAsync();

    public async ValueTask InitializeAsync() => stores = await CreateStoresAsync();

    public async ValueTask DisposeAsync()
    {
        await DeleteDatabaseAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary><paramref name="count"/> new ids, sorted in the order both adapters sort ids (their text form).</summary>
    private protected static Guid[] SortedIds(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).OrderBy(id => id.ToString("D", CultureInfo.InvariantCulture), StringComparer.Ordinal)];

    private protected static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private protected async Task<Guid> NewConversationAsync(params Guid[] members)
    {
        var conversation = new Conversation(Guid.NewGuid(), members[0], members, T0);
        await Stores.Conversations.CreateAsync(conversation, Ct);
        return conversation.Id;
    }

    private protected static MessageBatch Batch(
        Guid conversationId, Guid senderDeviceId, DateTimeOffset acceptedAt, params (Guid Device, string Text)[] copies) =>
        Batch(conversationId, Guid.NewGuid(), senderDeviceId, acceptedAt, acceptedAt + Retention, copies);

    private protected static MessageBatch Batch(
        Guid conversationId, Guid messageId, Guid senderDeviceId, DateTimeOffset acceptedAt, DateTimeOffset expiresAt,
        params (Guid Device, string Text)[] copies) =>
        new(conversationId, messageId, SenderAccount, senderDeviceId,
            [.. copies.Select(c => new CopyToQueue(c.Device, Bytes(c.Text)))], acceptedAt, expiresAt);

    private protected async Task<StoredAck> AppendStoredAsync(MessageBatch batch)
    {
        var result = await Stores.Messages.AppendAsync(batch, Ct);
        Assert.Equal(AppendStatus.Stored, result.Status);
        return Assert.IsType<StoredAck>(result.Ack);
    }

    private protected async Task<List<QueuedCopy>> ReadAllAsync(Guid deviceId, DateTimeOffset now) =>
        [.. await Stores.Messages.ReadQueueAsync(deviceId, null, 1000, now, Ct)];

    private protected static string Text(QueuedCopy copy) => System.Text.Encoding.UTF8.GetString(copy.Ciphertext);
}
