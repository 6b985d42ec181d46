using Billing.Seats;

namespace Billing.Api.Portal.Pages;

/// <summary>B5: named and concurrent seats of a month.</summary>
public sealed class SeatsModel(TimeProvider time) : AppPageModel
{
    public SeatUsage? Usage { get; private set; }

    /// <summary>Why the app has no seats to show (only Contact Center AI and Agent AI apps have seats).</summary>
    public string? NoSeats { get; private set; }

    public async Task OnGetAsync(string workspaceId, string appId, int? year, int? month)
    {
        await LoadApp(workspaceId, appId);
        var now = time.GetUtcNow(); // this month (UTC) unless the form asks for another
        try
        {
            Usage = await Api.Get<SeatUsage>($"{AppPath}/seats?year={year ?? now.Year}&month={month ?? now.Month}");
        }
        catch (PortalApiException refusal) when (refusal.Status == System.Net.HttpStatusCode.BadRequest)
        {
            NoSeats = refusal.Message; // an app without seats, or a month out of range: the API says which
        }
    }
}
