namespace Billing.Usage;

/// <summary>
/// The filing of one silo's metering journal (keyed by the silo's address, <c>SiloAddress.ToParsableString()</c>; it
/// always lives on that silo). Reads of the usage projections (trends, exports, totals) ask every active silo to file
/// what it has committed first, so that they see every decision answered before the read began.
/// </summary>
public interface IJournalFilingGrain : IGrainWithStringKey
{
    /// <summary>Completes once everything this silo's journal committed before the call is filed (and dead silos' journals are).</summary>
    Task FileNow();
}
