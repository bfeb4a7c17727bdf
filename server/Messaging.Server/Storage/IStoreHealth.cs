namespace Messaging.Server.Storage;

/// <summary>Readiness of the configured store, for <c>/health/ready</c>.</summary>
internal interface IStoreHealth
{
    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}
