using Sodium;

namespace Messaging.Server.Features.Accounts;

/// <summary>
/// Argon2id through libsodium. Hashing is deliberately expensive, so at most one hash per core runs at a time:
/// a burst of logins queues instead of exhausting memory.
/// </summary>
internal sealed class PasswordHasher : IDisposable
{
    public const int MinimumLength = 12;
    public const int MaximumLength = 1024;

    // A real hash of a random password: verifying against it when the account does not exist costs the same time
    // as a real verification, so response times do not reveal which logins exist.
    private readonly Lazy<string> decoy;
    private readonly SemaphoreSlim slots = new(Environment.ProcessorCount, Environment.ProcessorCount);

    public PasswordHasher() =>
        decoy = new Lazy<string>(() => PasswordHash.ArgonHashString(Convert.ToBase64String(SodiumCore.GetRandomBytes(24)), PasswordHash.StrengthArgon.Interactive));

    public static string? Validate(string? password) => password switch
    {
        null or "" => "A password is required.",
        { Length: < MinimumLength } => $"A password has at least {MinimumLength} characters.",
        { Length: > MaximumLength } => $"A password has at most {MaximumLength} characters.",
        _ => null,
    };

    public async Task<string> HashAsync(string password, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => PasswordHash.ArgonHashString(password, PasswordHash.StrengthArgon.Interactive), cancellationToken);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>Verifies against <paramref name="hash"/>, or against a decoy when there is no account.</summary>
    public async Task<bool> VerifyAsync(string? hash, string password, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        try
        {
            var verified = await Task.Run(() => PasswordHash.ArgonHashStringVerify(hash ?? decoy.Value, password), cancellationToken);
            return hash is not null && verified;
        }
        finally
        {
            slots.Release();
        }
    }

    public void Dispose() => slots.Dispose();
}
