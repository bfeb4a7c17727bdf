using Messaging.Server.Storage.Sqlite;
using Messaging.Testing;

namespace Messaging.Server.Tests.Storage;

/// <summary>A migrated SQLite database in a temp folder of its own, deleted with it.</summary>
internal sealed class MigratedSqliteFile : IDisposable
{
    private readonly TempDirectory folder = new();

    public MigratedSqliteFile()
    {
        Database = new SqliteDatabase(Path.Combine(folder.Path, SqliteStorage.FileName));
        Database.Migrate();
    }

    public SqliteDatabase Database { get; }

    public void Dispose()
    {
        Database.Dispose();
        folder.Dispose();
    }
}
