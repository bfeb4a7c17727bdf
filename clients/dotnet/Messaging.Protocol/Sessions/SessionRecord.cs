using Messaging.Protocol.Keys;
using Messaging.Protocol.Primitives;

namespace Messaging.Protocol.Sessions;

/// <summary>
/// The sessions with one remote device (docs/protocol.md §5.4): the newest is <see cref="Current"/> and the one used
/// to send; up to <see cref="MaxPreviousSessions"/> older ones still decrypt messages that were in flight. The record
/// also remembers the EK of the last <see cref="MaxRetiredBaseKeys"/> responder sessions it dropped, so a replayed prekey
/// message of a dropped session cannot start that session again.
/// </summary>
public sealed class SessionRecord : IDisposable
{
    internal const int MaxPreviousSessions = 5;
    internal const int MaxRetiredBaseKeys = 200;

    private readonly List<Session> sessions = [];
    private readonly List<byte[]> retiredBaseKeys = [];

    /// <summary>The session used to send, or null for an empty record.</summary>
    public Session? Current => sessions.Count > 0 ? sessions[0] : null;

    /// <summary>The sessions, newest first.</summary>
    internal IReadOnlyList<Session> Sessions => sessions;

    /// <summary>Makes <paramref name="session"/> the current session; the record takes ownership of it.</summary>
    internal void Promote(Session session)
    {
        sessions.Insert(0, session);
        while (sessions.Count > 1 + MaxPreviousSessions)
        {
            var dropped = sessions[^1];
            sessions.RemoveAt(sessions.Count - 1);
            if (!dropped.IsInitiator)
            {
                retiredBaseKeys.Add(dropped.BaseKey.ToArray());
            }

            dropped.Dispose();
        }

        if (retiredBaseKeys.Count > MaxRetiredBaseKeys)
        {
            retiredBaseKeys.RemoveRange(0, retiredBaseKeys.Count - MaxRetiredBaseKeys);
        }
    }

    /// <summary>The responder session started by a prekey message with this EK, if it is still kept.</summary>
    internal Session? FindByBaseKey(ReadOnlySpan<byte> baseKey)
    {
        foreach (var session in sessions)
        {
            if (!session.IsInitiator && session.BaseKey.SequenceEqual(baseKey))
            {
                return session;
            }
        }

        return null;
    }

    /// <summary>True if a session with this EK was kept once and dropped since.</summary>
    internal bool IsRetired(ReadOnlySpan<byte> baseKey)
    {
        foreach (var retired in retiredBaseKeys)
        {
            if (retired.AsSpan().SequenceEqual(baseKey))
            {
                return true;
            }
        }

        return false;
    }

    internal SessionRecordState Export() => new([.. sessions.Select(s => s.Export())], [.. retiredBaseKeys.Select(k => k.ToArray())]);

    internal static SessionRecord Restore(SessionRecordState state, RandomSource random)
    {
        if (state.Sessions is null || state.RetiredBaseKeys is null || state.Sessions.Count > 1 + MaxPreviousSessions
            || state.RetiredBaseKeys.Any(k => k?.Length != Sizes.X25519Key))
        {
            throw new FormatException(Errors.Malformed("session record"));
        }

        var record = new SessionRecord();
        try
        {
            record.sessions.AddRange(state.Sessions.Select(s => Session.Restore(s, random)));
        }
        catch
        {
            record.Dispose();
            throw;
        }

        record.retiredBaseKeys.AddRange(state.RetiredBaseKeys.Select(k => k.ToArray()));
        return record;
    }

    public void Dispose()
    {
        foreach (var session in sessions)
        {
            session.Dispose();
        }

        sessions.Clear();
    }
}
