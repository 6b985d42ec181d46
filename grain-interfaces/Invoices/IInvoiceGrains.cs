using Orleans.Concurrency;

namespace Billing.Invoices;

/// <summary>
/// U4: hands out invoice numbers without gaps. The number is taken in the same storage transaction that stores the
/// invoice (and a marker of its source), so a failed or interrupted issue takes no number and a retried one gets the
/// first. One activation in the cluster (key 0): invoices are rare next to metering, so one sequence is cheap.
/// </summary>
public interface IInvoiceSequenceGrain : IGrainWithIntegerKey
{
    /// <summary>Issues <paramref name="draft"/>, or answers the invoice already issued for its source. Raises <c>InvoiceIssued</c>.</summary>
    Task<Invoice> Issue(InvoiceDraft draft);
}

/// <summary>Reads invoices (list, one, PDF) straight from storage; any silo, no state.</summary>
public interface IInvoiceQueryGrain : IGrainWithIntegerKey
{
    /// <summary>The workspace's invoices in chronological order (the order they were issued), optionally of one app.</summary>
    [ReadOnly]
    Task<IReadOnlyList<Invoice>> List(string workspaceId, string? appId);

    /// <summary>The invoice, or null when it does not exist or belongs to another workspace.</summary>
    [ReadOnly]
    Task<Invoice?> Get(string workspaceId, string number);

    /// <summary>The invoice as a PDF (number, date, plan or item, price, total), or null as <see cref="Get"/>.</summary>
    [ReadOnly]
    Task<byte[]?> RenderPdf(string workspaceId, string number);
}
