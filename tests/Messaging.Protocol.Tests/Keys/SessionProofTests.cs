using System.Text;
using Messaging.Protocol.Keys;

namespace Messaging.Protocol.Tests.Keys;

public sealed class SessionProofTests
{
    private static readonly Guid DeviceId = Guid.Parse("0191f2a4-7c1e-7b3a-9d2e-5f6a7b8c9d0e");

    [Fact]
    public void Message_IsLabelChallengeAndBigEndianDeviceId()
    {
        byte[] challenge = [1, 2, 3];

        var message = SessionProof.Message(challenge, DeviceId);

        Assert.Equal("MSG1-SESSION"u8.ToArray(), message[..12]);
        Assert.Equal(challenge, message[12..15]);
        Assert.Equal(Convert.FromHexString("0191f2a47c1e7b3a9d2e5f6a7b8c9d0e"), message[15..]);
    }

    [Fact]
    public void Verify_ProofOfTheDevice_Holds()
    {
        using var keys = DeviceKeys.Generate();
        var challenge = Encoding.ASCII.GetBytes("a challenge from the server");

        Assert.True(SessionProof.Verify(keys.Identity, challenge, DeviceId, keys.ProveSession(challenge, DeviceId)));
    }

    [Fact]
    public void Verify_OtherChallengeDeviceOrKey_Fails()
    {
        using var keys = DeviceKeys.Generate();
        using var other = DeviceKeys.Generate();
        var challenge = Encoding.ASCII.GetBytes("a challenge from the server");
        var proof = keys.ProveSession(challenge, DeviceId);

        Assert.False(SessionProof.Verify(keys.Identity, Encoding.ASCII.GetBytes("another challenge"), DeviceId, proof));
        Assert.False(SessionProof.Verify(keys.Identity, challenge, Guid.NewGuid(), proof));
        Assert.False(SessionProof.Verify(other.Identity, challenge, DeviceId, proof));
        Assert.False(SessionProof.Verify(keys.Identity, challenge, DeviceId, proof.AsSpan(0, 63)));
    }

    [Fact]
    public void Verify_PrekeySignatureOverTheSameBytes_IsNoSessionProof()
    {
        // The label separates the two: a prekey signature is never accepted as a session proof.
        using var keys = DeviceKeys.Generate();
        using var spk = SignedPrekey.Generate(keys, 1);
        using var lastResort = KemPrekey.Generate(keys, 1, lastResort: true);
        var upload = PublicPrekeys.Create(spk, lastResort, [], []);

        Assert.False(SessionProof.Verify(keys.Identity, upload.SignedPrekey.PublicKey, DeviceId, upload.SignedPrekey.Signature));
    }
}
