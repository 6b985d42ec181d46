using Azure.Data.Tables;
using Billing.Payments;
using Orleans.Concurrency;

namespace Billing.Invoices;

/// <summary>Reads invoices from the workspace's partition: a workspace sees only its own invoices.</summary>
[StatelessWorker]
public sealed class InvoiceQueryGrain(PaymentTables tables) : Grain, IInvoiceQueryGrain
{
    async Task<IReadOnlyList<Invoice>> IInvoiceQueryGrain.List(string workspaceId, string? appId)
    {
        var partition = InvoiceTable.WorkspacePartition(workspaceId);
        var invoices = new List<Invoice>();
        // Row keys are the sequence numbers, so the table answers in issue order: chronological (U4).
        await foreach (var row in tables.Invoices.QueryAsync<TableEntity>(e => e.PartitionKey == partition))
        {
            if (appId is null || row.GetString("AppId") == appId)
                invoices.Add(InvoiceTable.Read(row));
        }

        return invoices;
    }

    Task<Invoice?> IInvoiceQueryGrain.Get(string workspaceId, string number) => GetAsync(workspaceId, number);

    async Task<byte[]?> IInvoiceQueryGrain.RenderPdf(string workspaceId, string number) =>
        await GetAsync(workspaceId, number) is { } invoice ? InvoicePdf.Render(invoice) : null;

    private async Task<Invoice?> GetAsync(string workspaceId, string number)
    {
        if (InvoiceTable.SequenceOf(number) is not { } sequence)
            return null;
        var row = await tables.Invoices.GetEntityIfExistsAsync<TableEntity>(InvoiceTable.WorkspacePartition(workspaceId), InvoiceTable.InvoiceRowKey(sequence));
        return row.HasValue && row.Value is { } r ? InvoiceTable.Read(r) : null;
    }
}
