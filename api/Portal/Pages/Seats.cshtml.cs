using Billing.Seats;

namespace Billing.Api.Portal.Pages;

/// <summary>B5: named and concurrent seats of a month.</summary>
public sealed class SeatsModel(TimeProvider time) : AppPageModel
{
    public SeatUsage? Usage { get; private set; }

    public async Task OnGetAsync(string workspaceId, string appId, int? year, int? month)
    {
        await LoadApp(workspaceId, appId);
        var now = time.GetUtcNow(); // this month (UTC) unless the form asks for another
        Usage = await Api.Get<SeatUsage>($"{AppPath}/seats?year={year ?? now.Year}&month={month ?? now.Month}");
    }
}
