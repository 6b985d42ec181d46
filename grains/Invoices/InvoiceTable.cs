using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Billing.Storage.Shared;

namespace Billing.Invoices;

/// <summary>
/// Layout of the <c>Invoices</c> table. Partition <c>seq</c> holds the numbering: the head row (last number), one
/// marker per invoiced source and the invoices themselves, so that taking a number and storing its invoice are one
/// entity-group transaction. Each workspace's partition holds a copy of its invoices for listing, in issue order.
/// </summary>
public static class InvoiceTable
{
    public const string SequencePartition = "seq";
    public const string HeadRowKey = "head";
    private const string NumberPrefix = "INV-";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Number(long sequence) => NumberPrefix + sequence.ToString("D8", CultureInfo.InvariantCulture);

    public static long? SequenceOf(string number) =>
        number.StartsWith(NumberPrefix, StringComparison.Ordinal) && number.Length == NumberPrefix.Length + 8
        && long.TryParse(number.AsSpan(NumberPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq > 0
            ? seq
            : null;

    public static string InvoiceRowKey(long sequence) => "n" + sequence.ToString("D12", CultureInfo.InvariantCulture);

    public static string SourceRowKey(string sourceId) => "src~" + TableKeys.Bounded(sourceId);

    public static string WorkspacePartition(string workspaceId) => TableKeys.Escape("ws:" + workspaceId);

    public static TableEntity Head(long last) => new(SequencePartition, HeadRowKey) { ["Last"] = last };

    public static TableEntity Marker(string sourceId, long sequence) => new(SequencePartition, SourceRowKey(sourceId)) { ["Sequence"] = sequence };

    public static TableEntity Row(string partition, Invoice invoice) => new(partition, InvoiceRowKey(invoice.Sequence))
    {
        ["Json"] = JsonSerializer.Serialize(invoice, Json),
        ["AppId"] = invoice.Draft.AppId,
        ["Number"] = invoice.Number,
    };

    public static Invoice Read(TableEntity row) =>
        JsonSerializer.Deserialize<Invoice>(row.GetString("Json"), Json) ?? throw new InvalidOperationException($"Invoice row {row.RowKey} is empty.");
}
