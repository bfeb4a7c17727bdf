using System.Globalization;
using Messaging.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Server.Features.Notifications.Email;

/// <summary>
/// The zero-configuration sender: each email becomes a <c>.eml</c> file in the pickup folder, readable by the
/// server's user only (it holds sign-in codes and links). A file is written under a temporary name and then renamed,
/// so that whoever watches the folder never reads half a message.
/// </summary>
internal sealed partial class PickupFolderEmailSender(
    EmailMessageBuilder builder,
    IOptions<EmailOptions> options,
    TimeProvider time,
    ILogger<PickupFolderEmailSender> logger) : IEmailSender
{
    private const string Extension = ".eml";

    /// <summary>The resolved folder (see <see cref="EmailSetup"/>).</summary>
    public string Folder { get; } = options.Value.PickupDirectory
        ?? throw new InvalidOperationException($"{EmailOptions.Section}:PickupDirectory is not resolved.");

    public async Task SendAsync(OutgoingEmail email, CancellationToken cancellationToken)
    {
        var message = builder.Build(email);

        // Sortable by time, unique by the random part; the temporary name is hidden and has another extension.
        var id = Guid.NewGuid().ToString("N");
        var name = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture) + "-" + id;
        var temporary = Path.Combine(Folder, $".{name}.tmp");
        var final = Path.Combine(Folder, name + Extension);
        try
        {
            await using (var stream = OwnerOnlyFiles.CreateNewFile(temporary))
            {
                await message.WriteToAsync(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, final, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            LogFailed(logger, message.MessageId, e.GetType().Name);
            throw new EmailDeliveryException($"Writing to the pickup folder failed: {e.GetType().Name}");
        }
        catch (OperationCanceledException)
        {
            TryDelete(temporary);
            throw;
        }

        LogWritten(logger, message.MessageId, name + Extension);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a hidden .tmp file is left behind; readers ignore it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Email {MessageId} written to the pickup folder as {FileName}")]
    private static partial void LogWritten(ILogger logger, string? messageId, string fileName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email {MessageId} not written to the pickup folder: {Failure}")]
    private static partial void LogFailed(ILogger logger, string? messageId, string failure);
}
