using MongoDB.Driver;

namespace Messaging.Server.Storage.Mongo;

/// <summary>How values are stored, as on SQLite: times as UTC ticks.</summary>
internal static class MongoValues
{
    public static long Ticks(DateTimeOffset time) => time.UtcTicks;

    public static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    public static DateTimeOffset? Time(long? ticks) => ticks is { } t ? Time(t) : null;

    /// <summary>
    /// Applies a positive row limit. SQLite reads a negative LIMIT as "no limit", and so does this; MongoDB would read
    /// a negative one as "a single batch" and 0 as "no limit", so callers answer a limit of 0 with nothing first.
    /// </summary>
    public static IFindFluent<TDocument, TProjection> LimitLikeSqlite<TDocument, TProjection>(
        this IFindFluent<TDocument, TProjection> find, int limit) =>
        limit > 0 ? find.Limit(limit) : find;
}
