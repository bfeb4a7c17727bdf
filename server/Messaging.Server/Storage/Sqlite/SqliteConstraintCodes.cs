namespace Messaging.Server.Storage.Sqlite;

/// <summary>SQLite extended result codes for constraint violations (sqlite3.h).</summary>
internal static class SqliteConstraintCodes
{
    public const int PrimaryKey = 1555;
    public const int Unique = 2067;
}
