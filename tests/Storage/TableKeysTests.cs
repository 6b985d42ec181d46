using Billing.Storage.Shared;

namespace Billing.Tests.Storage;

public sealed class TableKeysTests
{
    [Theory]
    [InlineData("plain-key_1")]
    [InlineData("a/b\\c#d?e")]
    [InlineData("tilde~7E~already")]
    [InlineData("ünïcødé/日本語")]
    [InlineData("tab\there\u0001ctl")]
    [InlineData("")]
    public void Escaped_keys_round_trip_and_hold_no_forbidden_character(string raw)
    {
        var escaped = TableKeys.Escape(raw);

        Assert.Equal(raw, TableKeys.Unescape(escaped));
        Assert.DoesNotContain(escaped, c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));
    }

    [Fact]
    public void Distinct_raw_keys_never_escape_to_the_same_key()
    {
        string[] raws = ["a/b", "a~2Fb", "a?b", "a~3Fb", "a~b", "a~7Eb", "a#b", "a\\b"];

        var escaped = raws.Select(TableKeys.Escape).ToArray();

        Assert.Equal(raws.Length, escaped.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void A_key_over_the_Azure_limit_is_refused_with_its_size()
    {
        var e = Assert.Throws<ArgumentException>(() => TableKeys.Escape(new string('x', TableKeys.MaxKeyChars + 1)));

        Assert.Contains($"{TableKeys.MaxKeyChars + 1} characters", e.Message, StringComparison.Ordinal);
    }
}
