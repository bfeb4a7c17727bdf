using System.Text.RegularExpressions;
using MimeKit;

namespace Messaging.Testing;

/// <summary>
/// Reads the emails the server wrote to its pickup folder (the zero-configuration email sender): the codes and links
/// a person would find in their inbox.
/// </summary>
public sealed partial class TestMailbox(string folder)
{
    public string Folder { get; } = folder;

    /// <summary>Every email to <paramref name="address"/>, oldest first.</summary>
    public IReadOnlyList<MimeMessage> To(string address)
    {
        if (!Directory.Exists(Folder))
        {
            return [];
        }

        return [.. Directory.GetFiles(Folder, "*.eml")
            .Select(file => (File.GetLastWriteTimeUtc(file), Message: MimeMessage.Load(file)))
            .Where(m => m.Message.To.Mailboxes.Any(b => string.Equals(b.Address, address, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(m => m.Item1)
            .Select(m => m.Message)];
    }

    /// <summary>The 6-digit code of the newest email to <paramref name="address"/> (waits for it to arrive).</summary>
    public async Task<string> LatestCodeAsync(string address, int atLeast = 1)
    {
        await Eventually.WaitAsync(() => To(address).Count >= atLeast, "an email with a code", TimeSpan.FromSeconds(10));
        return Code().Match(To(address)[^1].TextBody ?? "").Value;
    }

    /// <summary>The token in the link of the newest email to <paramref name="address"/>.</summary>
    public string LatestLinkToken(string address) =>
        Uri.UnescapeDataString(LinkToken().Match(To(address)[^1].TextBody ?? "").Groups[1].Value);

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex Code();

    [GeneratedRegex(@"[?&]token=([A-Za-z0-9_\-%]+)")]
    private static partial Regex LinkToken();
}
