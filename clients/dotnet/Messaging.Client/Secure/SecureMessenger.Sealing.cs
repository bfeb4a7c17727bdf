using Messaging.Contracts;
using Messaging.Protocol.Keys;
using Messaging.Protocol.Sessions;

namespace Messaging.Client.Secure;

public sealed partial class SecureMessenger
{
    /// <summary>
    /// Encrypts one body for each device, starting sessions from the devices' prekey bundles where there is none yet,
    /// then saves the advanced ratchet state: only then may the envelopes leave the device.
    /// </summary>
    private async Task<Dictionary<Guid, OutgoingCopy>> SealAsync(
        IReadOnlyList<DeviceInfo> devices, PlaintextKind kind, byte[] body, CancellationToken cancellationToken)
    {
        await StartMissingSessionsAsync(devices, cancellationToken);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var copies = devices.ToDictionary(
                d => d.DeviceId,
                d => new OutgoingCopy { DeviceId = d.DeviceId, Ciphertext = device.EncryptFor(d.DeviceId, kind, body, Now) });
            SaveLocked();
            return copies;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task StartMissingSessionsAsync(IReadOnlyList<DeviceInfo> devices, CancellationToken cancellationToken)
    {
        foreach (var account in devices.Where(d => !device.HasSession(d.DeviceId)).GroupBy(d => d.AccountId))
        {
            var bundles = await Transport.Api.GetBundlesAsync(await Transport.GetAccessTokenAsync(cancellationToken), account.Key, cancellationToken);
            foreach (var recipient in account)
            {
                var info = bundles.Bundles.FirstOrDefault(b => b.DeviceId == recipient.DeviceId)
                    ?? throw Errors.Client(ClientErrorCodes.NoPrekeys, "A recipient device has published no prekeys.");
                await StartSessionAsync(recipient.Identity, info, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Starts a session from a bundle whose identity must be the one the directory lists for the device: a server
    /// that serves one device's keys under another's id is caught here and by the safety numbers.
    /// </summary>
    private async Task StartSessionAsync(byte[] directoryIdentity, PrekeyBundleInfo info, CancellationToken cancellationToken)
    {
        if (!info.Identity.AsSpan().SequenceEqual(directoryIdentity))
        {
            throw Errors.Client(ClientErrorCodes.UntrustedIdentity, "A bundle's identity differs from the device's registered identity.");
        }

        var bundle = new PrekeyBundle(
            info.DeviceId,
            info.Identity,
            new SignedPrekeyPublic(info.SignedPrekey.Id, info.SignedPrekey.PublicKey, info.SignedPrekey.Signature),
            info.OneTimePrekey is { } otp ? new OneTimePrekeyPublic(otp.Id, otp.PublicKey) : null,
            new KemPrekeyPublic(info.PqPrekey.Id, info.PqPrekey.PublicKey, info.PqPrekey.Signature, info.PqPrekey.LastResort));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!device.TryStartSession(bundle, out var failure))
            {
                throw Errors.Client(
                    failure == SessionFailure.UntrustedIdentity ? ClientErrorCodes.UntrustedIdentity : ClientErrorCodes.NoPrekeys,
                    $"No session could be started with a recipient device ({failure}).");
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
