using System.Globalization;
using Billing.Api.Auth;
using Billing.Errors;
using Billing.Usage;
using Billing.Workspaces;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Usage;

/// <summary>Usage trends (U1) and the CSV export (U2).</summary>
public static class UsageApi
{
    /// <summary>U2: exactly these columns, in this order.</summary>
    public static readonly string[] ExportColumns =
    [
        "Bot ID", "Channel", "Kore User ID", "Channel User ID", "Billing Session Type", "Conversation Session Id",
        "Conversation Session Start Date Time", "Conversation Session End Date Time", "Billing Session Id",
        "Billing Session Start Date Time", "Billing Session End Date Time", "Message Id",
    ];

    /// <summary>The longest export in one call; a month of a busy app streams, so the bound is about time, not memory.</summary>
    public const int MaxExportDays = 92;

    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/").WithTags("Usage").RequireAuthorization();
        group.MapGet("/apps/{appId}/usage/trend", GetAppTrend).WithName("GetAppUsageTrend");
        group.MapGet("/workspaces/{workspaceId}/usage/trend", GetWorkspaceTrend).WithName("GetWorkspaceUsageTrend");
        group.MapGet("/apps/{appId}/usage/export", Export).WithName("ExportAppUsage").Produces(StatusCodes.Status200OK, contentType: "text/csv");
        return routes;
    }

    private static async Task<Ok<UsageTrend>> GetAppTrend(string appId, HttpContext http, IClusterClient cluster, TimeProvider time, string? granularity, string? range, string? from, string? to)
    {
        await Access.RequireApp(cluster, appId, http.User.UserId(), appOwnerAllowed: true, Access.Members);
        var query = TrendQuery.Parse(granularity, range, from, to, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
        var points = await cluster.GetGrain<IUsageQueryGrain>(0).GetTrend([appId], query.From, query.To, query.Granularity);
        return TypedResults.Ok(new UsageTrend(query.Granularity, query.From, query.To, points));
    }

    /// <summary>U1: workspace totals across its apps.</summary>
    private static async Task<Ok<UsageTrend>> GetWorkspaceTrend(string workspaceId, HttpContext http, IClusterClient cluster, TimeProvider time, string? granularity, string? range, string? from, string? to)
    {
        await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.Members);
        var query = TrendQuery.Parse(granularity, range, from, to, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
        var apps = await cluster.GetGrain<IWorkspaceGrain>(workspaceId).GetAppIds();
        var points = await cluster.GetGrain<IUsageQueryGrain>(0).GetTrend(apps, query.From, query.To, query.Granularity);
        return TypedResults.Ok(new UsageTrend(query.Granularity, query.From, query.To, points));
    }

    /// <summary>
    /// U2: one RFC 4180 row per message, streamed from the usage chunks as they are read, so an export of a busy
    /// month never sits in memory. Times are ISO 8601 UTC.
    /// </summary>
    private static async Task Export(string appId, HttpContext http, IClusterClient cluster, TimeProvider time, string? from, string? to)
    {
        await Access.RequireApp(cluster, appId, http.User.UserId(), appOwnerAllowed: true, Access.Members);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var first = TrendQuery.ParseDay(from, "from") ?? new DateOnly(today.Year, today.Month, 1);
        var last = TrendQuery.ParseDay(to, "to") ?? today;
        if (last < first)
            throw BillingException.Invalid("to", "usage.range.invalid", "'to' is on or after 'from'.");
        if (last.DayNumber - first.DayNumber + 1 > MaxExportDays)
            throw BillingException.Invalid("to", "usage.range.too-long", $"An export covers at most {MaxExportDays} days.");

        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"usage-{appId}-{first:yyyyMMdd}-{last:yyyyMMdd}.csv\"";
        await using var writer = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false), bufferSize: 64 * 1024);
        // RFC 4180: CRLF line ends, fields quoted when they hold a separator, a quote or a line break.
        await using var csv = CsvWriter.Create(writer, new CsvWriterOptions { NewLine = "\r\n" }, leaveOpen: true);
        await csv.WriteRecordAsync(ExportColumns, http.RequestAborted);
        var rows = 0;
        await foreach (var r in cluster.ExportUsage(appId, first, last, http.RequestAborted))
        {
            await csv.WriteRecordAsync(
                [
                    // Text that adapters and end users chose is neutralised against formula injection (CsvFormulas).
                    r.AppId, Text(r.Channel), Text(r.PlatformUserId), Text(r.ChannelUserId), r.ChannelClass.ToString(), Text(r.ConversationId),
                    Iso(r.ConversationStart), Iso(r.ConversationLastAt), Text(r.BillingSessionId),
                    Iso(r.BillingSessionStart), Iso(r.BillingSessionEnd), Text(r.MessageId),
                ],
                http.RequestAborted);
            if (++rows % 1000 == 0)
                await csv.FlushAsync(http.RequestAborted);
        }
    }

    private static string Text(string? cell) => CsvFormulas.Neutralise(cell);

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

[Orleans.Immutable]
public sealed record UsageTrend(TrendGranularity Granularity, DateOnly From, DateOnly To, IReadOnlyList<UsageTrendPoint> Points);

/// <summary>U1's ranges: per day 1, 2 or 4 weeks (default the last 7 days) or a custom range of at most 90 days; per month 1, 2, 3 or 6 months or a custom range of at most 365 days.</summary>
public sealed record TrendQuery(TrendGranularity Granularity, DateOnly From, DateOnly To)
{
    public static TrendQuery Parse(string? granularity, string? range, string? from, string? to, DateOnly today)
    {
        var g = granularity?.ToLowerInvariant() switch
        {
            null or "day" => TrendGranularity.Day,
            "month" => TrendGranularity.Month,
            _ => throw BillingException.Invalid("granularity", "usage.granularity.invalid", "granularity is 'day' or 'month'."),
        };
        var customFrom = ParseDay(from, "from");
        var customTo = ParseDay(to, "to");
        if (customFrom is not null || customTo is not null)
        {
            if (range is not null)
                throw BillingException.Invalid("range", "usage.range.conflict", "Give either 'range' or 'from' and 'to', not both.");
            var first = customFrom ?? throw BillingException.Invalid("from", "usage.range.invalid", "A custom range needs 'from'.");
            var last = customTo ?? today;
            if (last < first)
                throw BillingException.Invalid("to", "usage.range.invalid", "'to' is on or after 'from'.");
            var maxDays = g == TrendGranularity.Day ? 90 : 365;
            if (last.DayNumber - first.DayNumber + 1 > maxDays)
                throw BillingException.Invalid("to", "usage.range.too-long", $"A custom {g.ToString().ToLowerInvariant()} range covers at most {maxDays} days.");
            return new(g, first, last);
        }

        if (g == TrendGranularity.Day)
        {
            var weeks = range switch
            {
                null or "1w" => 1,
                "2w" => 2,
                "4w" => 4,
                _ => throw BillingException.Invalid("range", "usage.range.invalid", "A daily range is 1w, 2w or 4w."),
            };
            return new(g, today.AddDays(1 - (7 * weeks)), today);
        }

        var months = range switch
        {
            null or "1m" => 1,
            "2m" => 2,
            "3m" => 3,
            "6m" => 6,
            _ => throw BillingException.Invalid("range", "usage.range.invalid", "A monthly range is 1m, 2m, 3m or 6m."),
        };
        var thisMonth = new DateOnly(today.Year, today.Month, 1);
        return new(g, thisMonth.AddMonths(1 - months), today);
    }

    /// <summary>
    /// The days usage can be asked about. Checked before any date arithmetic (a range ending at 9999-12-31 would
    /// overflow when the day after it is computed) and before an export writes its first byte.
    /// </summary>
    public static readonly DateOnly FirstDay = new(2000, 1, 1);

    public static readonly DateOnly LastDay = new(2199, 12, 31);

    public static DateOnly? ParseDay(string? value, string field)
    {
        if (value is null)
            return null;
        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            throw BillingException.Invalid(field, "usage.date.invalid", $"'{field}' is a date as yyyy-MM-dd.");
        if (day < FirstDay || day > LastDay)
            throw BillingException.Invalid(field, "usage.date.out-of-range", $"'{field}' is between {FirstDay:yyyy-MM-dd} and {LastDay:yyyy-MM-dd}.");
        return day;
    }
}
