using System.Text.Json;
using Billing.Api.Usage;
using Billing.Ledgers;
using Billing.Wallets;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>An app: balance, usage trend (U1) with its chart, CSV export (U2), and the ledger, a page at a time (C7).</summary>
public sealed class AppModel : AppPageModel
{
    public static readonly (string Value, string Label)[] Ranges =
    [
        ("1w", "Last week, by day"), ("2w", "Last 2 weeks, by day"), ("4w", "Last 4 weeks, by day"),
        ("1m", "This month, by month"), ("2m", "Last 2 months, by month"), ("3m", "Last 3 months, by month"), ("6m", "Last 6 months, by month"),
    ];

    public WalletBalance? Balance { get; private set; }

    public LedgerPage? Ledger { get; private set; }

    public UsageTrend? Trend { get; private set; }

    public string? TrendError { get; private set; }

    public string TrendJson { get; private set; } = "null";

    public string Base => $"/workspaces/{Uri.EscapeDataString(App!.WorkspaceId)}/apps/{Uri.EscapeDataString(App.Id)}";

    [FromQuery] public string? Range { get; set; }
    [FromQuery] public string? Granularity { get; set; }
    [FromQuery] public string? From { get; set; }
    [FromQuery] public string? To { get; set; }
    [FromQuery] public string Account { get; set; } = "paid";
    [FromQuery] public long? AfterSeq { get; set; }

    public string? CsvFrom => Trend is { } t ? Format.Date(t.From) : null;

    public string? CsvTo => Trend is { } t ? Format.Date(t.To) : null;

    public async Task OnGetAsync(string workspaceId, string appId)
    {
        await LoadApp(workspaceId, appId);
        Account = Account == "free" ? "free" : "paid";
        Balance = await Api.Get<WalletBalance>($"{AppPath}/balance");
        Ledger = await Api.Get<LedgerPage>($"{AppPath}/ledger?account={Account}&limit=50{(AfterSeq is { } after ? $"&afterSeq={after}" : "")}");
        try
        {
            Trend = await Api.Get<UsageTrend>($"{AppPath}/usage/trend?{TrendQueryString()}");
            TrendJson = JsonSerializer.Serialize(new
            {
                labels = Trend.Points.Select(p => Format.Date(p.Period)),
                sessions = Trend.Points.Select(p => p.BillingSessions),
                requests = Trend.Points.Select(p => p.Requests),
            }, PortalApiClient.Json).Replace("<", "\\u003c", StringComparison.Ordinal);
        }
        catch (PortalApiException refusal) when (refusal.Status == System.Net.HttpStatusCode.BadRequest)
        {
            TrendError = refusal.Message; // a custom range the API refuses: the rest of the page stays
        }
    }

    /// <summary>U2: the API's CSV, streamed through to the browser as a download.</summary>
    public async Task<IActionResult> OnGetCsvAsync(string workspaceId, string appId)
    {
        await LoadApp(workspaceId, appId);
        var query = string.Join('&', new[] { ("from", From), ("to", To) }.Where(p => !string.IsNullOrEmpty(p.Item2)).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
        var response = await Api.Download($"{AppPath}/usage/export?{query}");
        HttpContext.Response.RegisterForDispose(response);
        var name = response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"')
            ?? $"usage-{App!.Id}.csv";
        return File(await response.Content.ReadAsStreamAsync(HttpContext.RequestAborted), "text/csv; charset=utf-8", name);
    }

    private string TrendQueryString()
    {
        var custom = !string.IsNullOrEmpty(From) || !string.IsNullOrEmpty(To);
        var granularity = custom ? (Granularity == "month" ? "month" : "day") : Range is "1m" or "2m" or "3m" or "6m" ? "month" : "day";
        var parts = new List<string> { $"granularity={granularity}" };
        if (custom)
        {
            if (!string.IsNullOrEmpty(From)) parts.Add($"from={Uri.EscapeDataString(From)}");
            if (!string.IsNullOrEmpty(To)) parts.Add($"to={Uri.EscapeDataString(To)}");
        }
        else
        {
            parts.Add($"range={Uri.EscapeDataString(Range ?? "1w")}");
        }

        return string.Join('&', parts);
    }
}
