using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Billing.Storage.Shared;

namespace Billing.Payments;

/// <summary>
/// The <c>Payments</c> table: every payment of every app (purchases, wire orders, auto-reloads), so that grain state
/// holds only what the next decision needs. One partition per app, two rows per payment, written together in one
/// entity-group transaction:
/// <list type="bullet">
/// <item><c>p~{payment id}</c>: the payment, found by its id with one point read (a retried request, an OTP, a wire clearing);</item>
/// <item><c>t~{reverse creation ticks}~{payment id}</c>: the same payment in the listing order, newest first, so a page of
/// an app's payments is one range query of its partition.</item>
/// </list>
/// Only the grain that owns a payment writes its rows (purchases: <see cref="AppPaymentsGrain"/>, reloads:
/// <see cref="AutoReloadGrain"/>), one turn at a time, so the two rows never disagree for longer than a crash between
/// two of that grain's steps, which its next turn redoes. Rows are never deleted: they are the app's payment record.
/// </summary>
public sealed class PaymentHistory(TableServiceClient service) : ILifecycleParticipant<ISiloLifecycle>
{
    public const string TableName = "Payments";

    /// <summary>Payments read per page when a caller asks for all of them.</summary>
    public const int MaxPage = 1000;

    private const string ByIdPrefix = "p~";
    private const string ByTimePrefix = "t~";

    /// <summary>Just past every listing row: they all continue with a digit, and ':' follows '9'.</summary>
    private const string ByTimeEnd = "t~:";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public TableClient Client { get; } = service.GetTableClient(TableName);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PaymentHistory), ServiceLifecycleStage.ApplicationServices, async ct => await Client.CreateIfNotExistsAsync(ct));

    public static string Partition(string appId) => TableKeys.Bounded(appId);

    public static string IdRowKey(string paymentId) => ByIdPrefix + TableKeys.Bounded(paymentId);

    /// <summary>Newest first: ticks counted down from the largest date, fixed width so that text order is time order.</summary>
    public static string TimeRowKey(DateTimeOffset createdAt, string paymentId) =>
        ByTimePrefix + (DateTimeOffset.MaxValue.UtcTicks - createdAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "~" + TableKeys.Bounded(paymentId);

    /// <summary>Writes (or rewrites) one payment: both rows in one transaction.</summary>
    public async Task SaveAsync(string appId, PaymentRecord record, CancellationToken cancellationToken = default)
    {
        var json = JsonSerializer.Serialize(record, Json);
        var pk = Partition(appId);
        await Client.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, Row(pk, IdRowKey(record.Id), record, json)),
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, Row(pk, TimeRowKey(record.CreatedAt, record.Id), record, json)),
        ], cancellationToken);
    }

    /// <summary>Writes many payments (the move of a state from before the split): 50 payments, 100 rows, per transaction.</summary>
    public async Task SaveAllAsync(string appId, IEnumerable<PaymentRecord> records, CancellationToken cancellationToken = default)
    {
        var pk = Partition(appId);
        foreach (var chunk in records.Chunk(50))
        {
            var actions = new List<TableTransactionAction>(chunk.Length * 2);
            foreach (var record in chunk)
            {
                var json = JsonSerializer.Serialize(record, Json);
                actions.Add(new(TableTransactionActionType.UpsertReplace, Row(pk, IdRowKey(record.Id), record, json)));
                actions.Add(new(TableTransactionActionType.UpsertReplace, Row(pk, TimeRowKey(record.CreatedAt, record.Id), record, json)));
            }

            await Client.SubmitTransactionAsync(actions, cancellationToken);
        }
    }

    public async Task<PaymentRecord?> GetAsync(string appId, string paymentId, CancellationToken cancellationToken = default)
    {
        var response = await Client.GetEntityIfExistsAsync<TableEntity>(Partition(appId), IdRowKey(paymentId), cancellationToken: cancellationToken);
        return response.HasValue ? Read(response.Value!) : null;
    }

    /// <summary>One page of an app's payments, newest first, from <paramref name="continuation"/> (the row key to start after).</summary>
    public async Task<(List<PaymentRecord> Records, string? Continuation)> PageAsync(string appId, int limit, string? continuation, CancellationToken cancellationToken = default)
    {
        var pk = Partition(appId);
        // The continuation is the last row key a page ended on: the next page starts strictly after it, so a token stays
        // valid however many payments are added meanwhile (they sort before it).
        var from = continuation is { } after && after.StartsWith(ByTimePrefix, StringComparison.Ordinal) ? after : null;
        var filter = from is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey ge {ByTimePrefix} and RowKey lt {ByTimeEnd}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey gt {from} and RowKey lt {ByTimeEnd}");
        var records = new List<PaymentRecord>(Math.Min(limit, MaxPage));
        string? last = null;
        await foreach (var row in Client.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(limit, MaxPage), cancellationToken: cancellationToken))
        {
            records.Add(Read(row));
            last = row.RowKey;
            if (records.Count == limit)
                break;
        }

        return (records, records.Count == limit ? last : null);
    }

    private static TableEntity Row(string pk, string rk, PaymentRecord record, string json) => new(pk, rk)
    {
        ["Json"] = json,
        ["PaymentId"] = record.Id,
        ["Status"] = record.Status.ToString(),
    };

    private static PaymentRecord Read(TableEntity row) =>
        JsonSerializer.Deserialize<PaymentRecord>(row.GetString("Json"), Json) ?? throw new InvalidOperationException($"Payment row {row.RowKey} is empty.");
}
