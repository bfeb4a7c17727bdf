using Messaging.Contracts;
using Messaging.Protocol.Keys;

namespace Messaging.Client.Secure;

public sealed partial class SecureMessenger
{
    private const uint SignedPrekeyId = 1;
    private int replenishing;

    /// <summary>
    /// Makes a batch of one-time prekeys (and, at registration, the signed prekey and the last-resort KEM prekey),
    /// keeps their secrets in the store and returns the public parts to upload. The caller saves before uploading.
    /// </summary>
    private UploadPrekeysRequest CreatePrekeys(bool includeLongTerm)
    {
        var keys = store.LocalKeys;
        SignedPrekeyInfo? signed = null;
        SignedPrekeyInfo? lastResort = null;
        if (includeLongTerm)
        {
            var signedPrekey = SignedPrekey.Generate(keys, SignedPrekeyId);
            store.AddSignedPrekey(signedPrekey);
            signed = new SignedPrekeyInfo(signedPrekey.Id, signedPrekey.PublicKey.ToArray(), signedPrekey.Signature.ToArray());
            var lastResortKey = KemPrekey.Generate(keys, state.NextKemPrekeyId++, lastResort: true);
            store.AddKemPrekey(lastResortKey);
            lastResort = ToInfo(lastResortKey);
        }

        var oneTime = new List<OneTimePrekeyInfo>(options.PrekeyBatch);
        var kemOneTime = new List<SignedPrekeyInfo>(options.PrekeyBatch);
        for (var i = 0; i < options.PrekeyBatch; i++)
        {
            var prekey = OneTimePrekey.Generate(state.NextOneTimePrekeyId++);
            store.AddOneTimePrekey(prekey);
            oneTime.Add(new OneTimePrekeyInfo(prekey.Id, prekey.PublicKey.ToArray()));
            var kem = KemPrekey.Generate(keys, state.NextKemPrekeyId++, lastResort: false);
            store.AddKemPrekey(kem);
            kemOneTime.Add(ToInfo(kem));
        }

        return new UploadPrekeysRequest(signed, lastResort, oneTime, kemOneTime);
    }

    /// <summary>Tops up the published one-time prekeys when the server says few are left (once at a time).</summary>
    private void OnPrekeysLow(object? sender, PrekeyStatus status)
    {
        if (Interlocked.Exchange(ref replenishing, 1) == 0)
        {
            _ = ReplenishAsync();
        }
    }

    private async Task ReplenishAsync()
    {
        try
        {
            UploadPrekeysRequest upload;
            await gate.WaitAsync();
            try
            {
                upload = CreatePrekeys(includeLongTerm: false);
                SaveLocked();
            }
            finally
            {
                gate.Release();
            }

            await Transport.Api.UploadPrekeysAsync(await Transport.GetAccessTokenAsync(), DeviceId, upload);
        }
        catch (Exception e) when (e is MessagingException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            // The next PrekeysLow notice tries again; the last-resort prekey keeps sessions possible meanwhile.
        }
        finally
        {
            Volatile.Write(ref replenishing, 0);
        }
    }

    private static SignedPrekeyInfo ToInfo(KemPrekey prekey) => new(prekey.Id, prekey.PublicKey.ToArray(), prekey.Signature.ToArray());
}
