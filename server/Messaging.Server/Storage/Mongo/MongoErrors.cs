using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>Recognises the server's duplicate-key error (E11000) in the shapes the driver reports it.</summary>
internal static class MongoErrors
{
    private const int DuplicateKeyCode = 11000;

    public static bool IsDuplicateKey(Exception exception) => exception switch
    {
        MongoWriteException e => e.WriteError?.Category == ServerErrorCategory.DuplicateKey,
        MongoBulkWriteException e => e.WriteErrors.Any(w => w.Category == ServerErrorCategory.DuplicateKey),
        MongoCommandException e => e.Code == DuplicateKeyCode,
        _ => false,
    };

    /// <summary>
    /// Runs an upsert, and once more if it lost a race to insert the same key (servers before 4.2 report that as a
    /// duplicate-key error instead of retrying it themselves); the second run finds the document and updates it.
    /// </summary>
    public static async Task UpsertAsync(Func<Task> upsert)
    {
        try
        {
            await upsert();
        }
        catch (Exception e) when (IsDuplicateKey(e))
        {
            await upsert();
        }
    }
}
