using System.Globalization;
using Microsoft.AspNetCore.Html;

namespace Billing.Api.Portal;

/// <summary>How the portal shows money and time.</summary>
public static class Format
{
    // The processes run with invariant globalization (no ICU): the invariant culture's English month names and its
    // "," and "." separators are the US ones, and the dollar sign is written here.
    private static readonly CultureInfo Us = CultureInfo.InvariantCulture;

    /// <summary>US dollars to the cent, with the sign before the symbol for negatives: "$1,234.50", "-$0.20".</summary>
    public static string Money(decimal usd) => (usd < 0 ? "-$" : "$") + Math.Abs(usd).ToString("#,##0.00", Us);

    /// <summary>
    /// A moment as a <c>time</c> element: UTC in the markup (readable without scripts), rewritten by portal.js into the
    /// browser's own time zone.
    /// </summary>
    public static IHtmlContent Time(DateTimeOffset? at, bool dateOnly = false)
    {
        if (at is not { } value)
            return new HtmlString("—");
        var utc = value.ToUniversalTime();
        var text = dateOnly ? utc.ToString("d MMM yyyy", Us) : utc.ToString("d MMM yyyy, HH:mm 'UTC'", Us);
        var iso = utc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        return new HtmlString($"<time datetime=\"{iso}\" data-local=\"{(dateOnly ? "date" : "datetime")}\">{System.Net.WebUtility.HtmlEncode(text)}</time>");
    }

    public static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
