namespace Messaging.Bench;

/// <summary>Progress lines go to standard error, so that standard output holds only the tables.</summary>
internal static class ProgressLog
{
    public static void Write(string line) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}
