using Billing.Notifications;

namespace Billing.Invoices;

[GenerateSerializer, Immutable, Alias("billing.invoices.line")]
public sealed record InvoiceLine(
    [property: Id(0)] string Description,
    [property: Id(1)] int Quantity,
    [property: Id(2)] decimal UnitPriceUsd,
    [property: Id(3)] decimal AmountUsd);

/// <summary>
/// What an invoice will say, before it has a number. <see cref="SourceId"/> names what is invoiced (a payment, a
/// renewal): issuing the same source again answers the first invoice, so a retry after a crash neither duplicates
/// an invoice nor burns a number.
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.invoices.draft")]
public sealed record InvoiceDraft(
    [property: Id(0)] string SourceId,
    [property: Id(1)] string WorkspaceId,
    [property: Id(2)] string? AppId,
    [property: Id(3)] string? AppName,
    [property: Id(4)] InvoiceSubject Subject,
    [property: Id(5)] string Plan,
    [property: Id(6)] decimal PlanPriceUsd,
    [property: Id(7)] IReadOnlyList<InvoiceLine> Lines,
    [property: Id(8)] string PaymentMethod,
    [property: Id(9)] DateTimeOffset IssuedAt)
{
    public decimal TotalUsd => Lines.Sum(l => l.AmountUsd);
}

/// <summary>U4: an issued invoice. Immutable: it is written once and never updated.</summary>
[GenerateSerializer, Immutable, Alias("billing.invoices.invoice")]
public sealed record Invoice(
    [property: Id(0)] string Number,
    [property: Id(1)] long Sequence,
    [property: Id(2)] InvoiceDraft Draft,
    [property: Id(3)] decimal TotalUsd,
    [property: Id(4)] string Currency = "USD");
