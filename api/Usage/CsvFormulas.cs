namespace Billing.Api.Usage;

/// <summary>
/// CSV formula injection, neutralised the OWASP way. Channel user ids, user ids and message ids come from end users
/// and channel adapters; a cell starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, TAB or CR is run as a formula
/// by spreadsheet programs (<c>=HYPERLINK(...)</c>, DDE). Such a cell gets a leading <c>'</c>, which spreadsheets
/// read as "this is text" and do not show. The rest of the cell is unchanged, so the value is still recognisable;
/// RFC 4180 quoting is the CSV writer's job and happens after this.
/// </summary>
public static class CsvFormulas
{
    public static string Neutralise(string? cell) =>
        cell is { Length: > 0 } && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + cell : cell ?? "";
}
