using Messaging.Server.Features.Conversations;
using static Messaging.Server.Storage.Sqlite.SqliteValues;

namespace Messaging.Server.Storage.Sqlite;

internal sealed class SqliteConversationStore(SqliteDatabase database) : IConversationStore
{
    public Task CreateAsync(Conversation conversation, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await connection.Command("INSERT INTO conversations (id, practice_id, created_by, created_at) VALUES ($id, $practice, $by, $at);", transaction)
                .With("$id", Id(conversation.Id))
                .With("$practice", Id(conversation.PracticeId))
                .With("$by", Id(conversation.CreatedBy))
                .With("$at", Time(conversation.CreatedAt))
                .ExecuteAsync(CancellationToken.None);
            for (var position = 0; position < conversation.Members.Count; position++)
            {
                await connection.Command(
                        "INSERT INTO conversation_members (conversation_id, account_id, position) VALUES ($c, $a, $p);", transaction)
                    .With("$c", Id(conversation.Id))
                    .With("$a", Id(conversation.Members[position]))
                    .With("$p", position)
                    .ExecuteAsync(CancellationToken.None);
            }

            return 0;
        }, cancellationToken);

    public async Task<Conversation?> FindAsync(Guid conversationId, CancellationToken cancellationToken) =>
        (await ListAsync("c.id = $key", Id(conversationId), cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<Conversation>> ListForAccountAsync(Guid accountId, CancellationToken cancellationToken) =>
        ListAsync("c.id IN (SELECT conversation_id FROM conversation_members WHERE account_id = $key)", Id(accountId), cancellationToken);

    public Task<bool> SharesConversationAsync(Guid accountId, Guid otherAccountId, CancellationToken cancellationToken) =>
        accountId == otherAccountId
            ? Task.FromResult(false)
            : database.ReadAsync(async connection =>
                (await connection.Command(
                        """
                        SELECT EXISTS (
                            SELECT 1 FROM conversation_members a JOIN conversation_members b ON b.conversation_id = a.conversation_id
                            WHERE a.account_id = $a AND b.account_id = $b);
                        """)
                    .With("$a", Id(accountId))
                    .With("$b", Id(otherAccountId))
                    .ReadAllAsync(r => r.GetInt64(0) == 1, cancellationToken)).Single());

    private Task<IReadOnlyList<Conversation>> ListAsync(string where, string key, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<Conversation>>(async connection =>
        {
            var rows = await connection.Command(
                    $"""
                     SELECT c.id, c.created_by, c.created_at, m.account_id, c.practice_id
                     FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id
                     WHERE {where}
                     ORDER BY c.created_at, c.id, m.position;
                     """)
                .With("$key", key)
                .ReadAllAsync(r => (Id: r.GetId(0), By: r.GetId(1), At: r.GetTime(2), Member: r.GetId(3), Practice: r.GetId(4)), cancellationToken);
            return [.. rows
                .GroupBy(row => row.Id)
                .Select(g => new Conversation(g.Key, g.First().By, [.. g.Select(row => row.Member)], g.First().At) { PracticeId = g.First().Practice })];
        });
}
