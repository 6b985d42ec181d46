using Azure.Data.Tables;

namespace Billing.Payments;

/// <summary>
/// The tables of money-in that are not grain state: issued invoices (append-only, with their numbering) and the
/// sandbox gateway's record of charges. Created when the silo starts, before any grain activates.
/// </summary>
public sealed class PaymentTables(TableServiceClient service) : ILifecycleParticipant<ISiloLifecycle>
{
    public TableClient Invoices { get; } = service.GetTableClient("Invoices");

    /// <summary>What the sandbox gateway charged, by idempotency key: the sandbox's own books, as a real gateway keeps them.</summary>
    public TableClient SandboxCharges { get; } = service.GetTableClient("SandboxCharges");

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PaymentTables), ServiceLifecycleStage.ApplicationServices, async ct =>
        {
            await Invoices.CreateIfNotExistsAsync(ct);
            await SandboxCharges.CreateIfNotExistsAsync(ct);
        });
}
