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
}
