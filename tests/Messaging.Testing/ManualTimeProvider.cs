namespace Messaging.Testing;

/// <summary>A clock the test moves by hand (for retention), starting at the real time.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
