using System.Globalization;
using Billing.Api.Auth;
using Billing.Errors;
using Billing.Seats;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Seats;

public static class SeatsApi
{
    public static IEndpointRouteBuilder MapSeatsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/").WithTags("Seats").RequireAuthorization();
        group.MapGet("/apps/{appId}/seats", Get).WithName("GetSeats");
        return routes;
    }

    /// <summary>
    /// B5: named and concurrent seats of one calendar month (UTC), by default the current one. Every workspace member
    /// and the app's owner may read them. <paramref name="year"/> and <paramref name="month"/> are read as text so
    /// that a malformed value is a 400 naming that parameter, like every other bad input.
    /// </summary>
    private static async Task<Ok<SeatUsage>> Get(string appId, string? year, string? month, HttpContext http, IClusterClient cluster)
    {
        var app = await Access.RequireApp(cluster, appId, http.User.UserId(), appOwnerAllowed: true, Access.Members);
        var now = (http.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        var usage = await cluster.GetGrain<ISeatGrain>(app.Id).GetUsage(Parse(year, "year", now.Year), Parse(month, "month", now.Month));
        return TypedResults.Ok(usage);
    }

    private static int Parse(string? value, string field, int fallback) =>
        value is null ? fallback
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : throw BillingException.Invalid(field, $"seats.{field}.invalid", $"'{field}' is a number, e.g. 2026 for the year and 1 to 12 for the month.");
}
