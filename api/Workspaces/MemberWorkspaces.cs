using Azure;
using Azure.Data.Tables;
using Billing.Storage.Shared;
using Billing.Users;

namespace Billing.Api.Workspaces;

/// <summary>
/// Which workspaces a user joined, for <c>GET /workspaces</c> (the portal's workspace list): the <c>MemberWorkspaces</c>
/// table, partition = the user's grain key, row = workspace id, written when the user creates a workspace or accepts an
/// invitation. It is an index, not the truth: membership is the workspace grain's, and the list asks each workspace
/// (a user who left or was removed is filtered out there).
/// </summary>
public sealed class MemberWorkspaces(TableServiceClient service)
{
    public const string TableName = "MemberWorkspaces";

    /// <summary>More than anyone belongs to; the list stops here rather than fan out without bound.</summary>
    public const int MaxListed = 200;

    private readonly TableClient _table = service.GetTableClient(TableName);
    private readonly Lazy<Task> _created = new(() => service.GetTableClient(TableName).CreateIfNotExistsAsync());

    public async Task Add(string userId, string workspaceId, CancellationToken cancellationToken)
    {
        await _created.Value;
        await _table.UpsertEntityAsync(new TableEntity(TableKeys.Escape(UserKeys.GrainKey(userId)), workspaceId), TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> List(string userId, CancellationToken cancellationToken)
    {
        await _created.Value;
        var ids = new List<string>();
        var partition = TableKeys.Escape(UserKeys.GrainKey(userId));
        await foreach (var row in _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition, maxPerPage: MaxListed, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            ids.Add(row.RowKey);
            if (ids.Count == MaxListed)
                break;
        }

        return ids;
    }
}
