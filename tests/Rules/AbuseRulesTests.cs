using System.Globalization;
using System.Text;
using System.Text.Json;
using Billing.Api.Errors;
using Billing.Api.Usage;
using Billing.Errors;
using Billing.Rules;
using Billing.Storage.Shared;
using Billing.Text;
using Billing.Users;
using CsvHelper;

namespace Billing.Tests.Rules;

/// <summary>The pure rules behind the abuse limits (docs/security.md): names, CSV cells, keys, the workspace allowance.</summary>
public sealed class AbuseRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web) { Converters = { new PlainTextStringConverter() } };

    [Theory]
    [InlineData("Acme", "Acme")]
    [InlineData("  Acme Corp  ", "Acme Corp")]
    [InlineData("Café Zürich 日本", "Café Zürich 日本")]
    public void A_name_of_visible_text_is_kept_trimmed(string raw, string expected) =>
        Assert.Equal(expected, Names.Validate(raw, "name", "x.invalid"));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\u0000")]
    [InlineData("a\u0000b")]
    [InlineData("line\r\nbreak")]
    [InlineData("tab\tname")]
    [InlineData("\u202Eexe.txt")]
    [InlineData("\u2066isolate")]
    [InlineData("\u200B\u200B")]
    [InlineData("\u00A0\u2003")]
    [InlineData("\uFEFFbom")]
    public void A_name_with_control_or_format_characters_or_no_visible_text_is_refused_naming_the_field(string raw)
    {
        var e = Assert.Throws<BillingException>(() => Names.Validate(raw, "name", "workspace.name.invalid"));
        Assert.Equal((BillingErrorKind.Invalid, "name", "workspace.name.invalid"), (e.Kind, e.Field, e.Code));
    }

    [Fact]
    public void A_name_with_a_lone_surrogate_is_refused() =>
        Assert.Throws<BillingException>(() => Names.Validate("lone " + (char)0xD800 + " surrogate", "name", "workspace.name.invalid"));

    [Fact]
    public void A_name_over_100_characters_is_refused_and_100_are_kept()
    {
        Assert.Equal(100, Names.Validate(new string('x', 100), "name", "c").Length);
        Assert.Contains("at most 100", Assert.Throws<BillingException>(() => Names.Validate(new string('x', 101), "name", "c")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")")]
    [InlineData("+1+2")]
    [InlineData("-2+3")]
    [InlineData("@SUM(A1)")]
    [InlineData("\tcmd")]
    [InlineData("\rcmd")]
    [InlineData("=1,\"2\"\r\n3")]
    public void A_formula_cell_is_written_as_text_and_reads_back_with_a_leading_quote_U2(string value)
    {
        var csv = WriteCsv(["Channel User ID"], [CsvFormulas.Neutralise(value)]);

        using var reader = CsvReader.Create(new StringReader(csv), new CsvReaderOptions { Separator = ',' });
        Assert.True(reader.Read());
        var cell = reader.GetString("Channel User ID");
        Assert.Equal('\'', cell[0]);
        Assert.Equal(value, cell[1..]);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("user=1")]
    [InlineData("")]
    [InlineData("'quoted")]
    [InlineData("a-b")]
    public void Other_cells_are_left_as_they_are(string value) => Assert.Equal(value, CsvFormulas.Neutralise(value));

    [Fact]
    public void Short_plain_user_ids_are_their_own_key_and_long_or_unusual_ones_a_fixed_length_hash()
    {
        Assert.Equal("auth0|abc-123", UserKeys.GrainKey("auth0|abc-123"));
        var long1 = UserKeys.GrainKey(new string('#', 4000));
        var long2 = UserKeys.GrainKey(new string('#', 3999));
        Assert.StartsWith(UserKeys.HashedPrefix, long1, StringComparison.Ordinal);
        Assert.Equal(UserKeys.HashedPrefix.Length + 64, long1.Length);
        Assert.NotEqual(long1, long2);
        Assert.NotEqual(UserKeys.GrainKey("a/b"), UserKeys.GrainKey("a\\b"));
        Assert.Equal(long1, UserKeys.GrainKey(new string('#', 4000)));
        // No plain id can look like a hashed key.
        Assert.StartsWith(UserKeys.HashedPrefix, UserKeys.GrainKey(long1), StringComparison.Ordinal);
        Assert.NotEqual(long1, UserKeys.GrainKey(long1));
    }

    [Fact]
    public void Bounded_table_keys_of_any_length_are_distinct_short_and_hold_no_forbidden_character()
    {
        var values = new[] { new string('#', 200), new string('#', 201), new string('x', 5000), new string('x', 5000) + "/", "short/key" };
        var keys = values.Select(TableKeys.Bounded).ToList();
        Assert.Equal(values.Length, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.All(keys, k => Assert.InRange(k.Length, 1, TableKeys.MaxBoundedChars));
        Assert.All(keys, k => Assert.DoesNotContain(k, c => c is '/' or '\\' or '#' or '?' || char.IsControl(c)));
        Assert.Equal(TableKeys.Escape("short/key"), TableKeys.Bounded("short/key"));
    }

    [Fact]
    public void A_user_creates_three_workspaces_in_30_days_and_the_next_when_the_oldest_leaves_the_window()
    {
        var created = new[] { T0, T0.AddDays(2), T0.AddDays(10) };
        Assert.Null(WorkspaceCreationRules.NextPossibleAt(created[..2], T0.AddDays(10), 3));
        Assert.Equal(T0.AddDays(30), WorkspaceCreationRules.NextPossibleAt(created, T0.AddDays(11), 3));
        Assert.Null(WorkspaceCreationRules.NextPossibleAt(created, T0.AddDays(30), 3));
        Assert.Equal(T0.AddDays(32), WorkspaceCreationRules.NextPossibleAt([.. created, T0.AddDays(30)], T0.AddDays(31), 3));
        Assert.Equal(T0.AddDays(40), WorkspaceCreationRules.NextPossibleAt(created, T0.AddDays(11), 1));
    }

    [Theory]
    [InlineData("{\"name\":\"a\\u0000b\"}", "name")]
    [InlineData("{\"reason\":\"\\u001b[31mred\"}", "reason")]
    [InlineData("{\"note\":\"\\u202Eevil\"}", "note")]
    public void A_request_string_with_a_control_or_bidi_character_does_not_deserialize_and_names_its_path(string json, string field)
    {
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Dictionary<string, string>>(json, RequestJson));
        Assert.Equal("$." + field, e.Path);
    }

    [Fact]
    public void Request_strings_keep_tabs_and_line_breaks_of_free_text()
    {
        Assert.Equal("line 1\r\n\tline 2", JsonSerializer.Deserialize<Dictionary<string, string>>("{\"note\":\"line 1\\r\\n\\tline 2\"}", RequestJson)!["note"]);
    }

    private static string WriteCsv(string[] header, string[] row)
    {
        // The export's own writer settings (UsageApi): RFC 4180 with CRLF line ends.
        var text = new StringBuilder();
        using (var writer = new StringWriter(text))
        using (var csv = CsvWriter.Create(writer, new CsvWriterOptions { NewLine = "\r\n" }, leaveOpen: true))
        {
            csv.WriteRecord(header);
            csv.WriteRecord(row);
        }
        return text.ToString();
    }
}
