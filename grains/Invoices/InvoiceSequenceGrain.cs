using Azure;
using Azure.Data.Tables;
using Billing.Errors;
using Billing.Notifications;
using Billing.Payments;

namespace Billing.Invoices;

/// <summary>
/// U4: numbers invoices 1, 2, 3 ... with no gap and no repeat. Why no gap can appear: the number is taken only inside the
/// transaction that stores the invoice and its source marker, conditioned on the head row's ETag. A transaction that
/// fails takes nothing; one whose outcome is unknown is settled by the caller's retry, which finds the source marker
/// (same number) or finds nothing (the number is still free). A second activation (zombie) loses on the ETag.
/// </summary>
public sealed class InvoiceSequenceGrain(PaymentTables tables, IBillingEventSink events) : Grain, IInvoiceSequenceGrain
{
    private long? _last;
    private ETag _headETag;

    async Task<Invoice> IInvoiceSequenceGrain.Issue(InvoiceDraft draft)
    {
        Validate(draft);
        for (var attempt = 0; ; attempt++)
        {
            if (await FindAsync(draft.SourceId) is { } issued)
                return await AnnounceAsync(issued);

            var last = _last ?? await LoadHeadAsync();
            var sequence = last + 1;
            var invoice = new Invoice(InvoiceTable.Number(sequence), sequence, draft, draft.TotalUsd);
            var actions = new List<TableTransactionAction>
            {
                new(TableTransactionActionType.Add, InvoiceTable.Marker(draft.SourceId, sequence)),
                new(TableTransactionActionType.Add, InvoiceTable.Row(InvoiceTable.SequencePartition, invoice)),
                last == 0 && _headETag == default
                    ? new(TableTransactionActionType.Add, InvoiceTable.Head(sequence))
                    : new(TableTransactionActionType.UpdateReplace, InvoiceTable.Head(sequence), _headETag),
            };
            try
            {
                var response = await tables.Invoices.SubmitTransactionAsync(actions);
                _last = sequence;
                _headETag = response.Value[^1].Headers.ETag ?? default;
                return await AnnounceAsync(invoice);
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412 && attempt < 5)
            {
                // Another writer moved the head, or issued this source: read the truth and try again.
                _last = null;
            }
            catch
            {
                // Unknown outcome: forget the head so that the next call reads what storage holds.
                _last = null;
                throw;
            }
        }
    }

    /// <summary>The workspace's copy (for listing) and the event; both idempotent, so they are redone on every replay.</summary>
    private async Task<Invoice> AnnounceAsync(Invoice invoice)
    {
        await tables.Invoices.UpsertEntityAsync(InvoiceTable.Row(InvoiceTable.WorkspacePartition(invoice.Draft.WorkspaceId), invoice), TableUpdateMode.Replace);
        var d = invoice.Draft;
        await events.Publish(new InvoiceIssued
        {
            EventId = $"invoice:{invoice.Number}",
            WorkspaceId = d.WorkspaceId,
            OccurredAt = d.IssuedAt,
            AppId = d.AppId,
            AppName = d.AppName,
            InvoiceNumber = invoice.Number,
            Subject = d.Subject,
            Plan = d.Plan,
            PlanPriceUsd = d.PlanPriceUsd,
            TotalUsd = invoice.TotalUsd,
        });
        return invoice;
    }

    private async Task<Invoice?> FindAsync(string sourceId)
    {
        var marker = await tables.Invoices.GetEntityIfExistsAsync<TableEntity>(InvoiceTable.SequencePartition, InvoiceTable.SourceRowKey(sourceId));
        if (!marker.HasValue || marker.Value is not { } m)
            return null;
        var row = await tables.Invoices.GetEntityAsync<TableEntity>(InvoiceTable.SequencePartition, InvoiceTable.InvoiceRowKey(m.GetInt64("Sequence")!.Value));
        return InvoiceTable.Read(row.Value);
    }

    private async Task<long> LoadHeadAsync()
    {
        var head = await tables.Invoices.GetEntityIfExistsAsync<TableEntity>(InvoiceTable.SequencePartition, InvoiceTable.HeadRowKey);
        if (head.HasValue && head.Value is { } row)
        {
            _headETag = row.ETag;
            _last = row.GetInt64("Last") ?? 0;
        }
        else
        {
            _headETag = default;
            _last = 0;
        }

        return _last.Value;
    }

    private static void Validate(InvoiceDraft draft)
    {
        if (string.IsNullOrWhiteSpace(draft.SourceId) || string.IsNullOrWhiteSpace(draft.WorkspaceId))
            throw BillingException.Invalid("sourceId", "invoice.source.missing", "An invoice names what it is for and its workspace.");
        if (draft.Lines.Count == 0 || draft.Lines.Any(l => l.AmountUsd < 0m || l.Quantity < 1))
            throw BillingException.Invalid("lines", "invoice.lines.invalid", "An invoice has at least one line; no line is negative.");
    }
}
