using Billing.Notifications;
using Billing.Payments;
using Billing.Rules;

namespace Billing.Tests.Payments;

/// <summary>The pure rules the vault, purchases and auto-reload grains decide with (M1, M3, A1-A3), and the retention rules.</summary>
public sealed class PaymentSplitRulesTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2026-12-01", false, false, null)]        // 61 days before the end of 01/2027
    [InlineData("2027-01-03", false, false, "Expiring")]  // within 30 days
    [InlineData("2027-01-03", true, false, null)]         // that notice went out
    [InlineData("2027-02-01", true, false, "Expired")]    // the card expired at the start of February
    [InlineData("2027-02-01", false, false, "Expired")]   // first seen expired: only the "expired" notice
    [InlineData("2027-03-01", true, true, null)]          // both went out
    public void A_card_gets_its_expiring_notice_30_days_ahead_and_its_expired_notice_once_M3(string today, bool expiringSent, bool expiredSent, string? due)
    {
        var now = DateTimeOffset.Parse(today + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

        var notice = CardExpiryRules.NoticeDue(1, 2027, expiringSent, expiredSent, now);

        Assert.Equal(due, notice?.ToString());
    }

    [Fact]
    public void The_next_card_notice_is_30_days_before_expiry_then_at_expiry_then_none_M3()
    {
        Assert.Equal(new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero), CardExpiryRules.NextNoticeAt(1, 2027, false, false));
        Assert.Equal(new DateTimeOffset(2027, 2, 1, 0, 0, 0, TimeSpan.Zero), CardExpiryRules.NextNoticeAt(1, 2027, true, false));
        Assert.Null(CardExpiryRules.NextNoticeAt(1, 2027, true, true));
    }

    [Theory]
    [InlineData("100", null, null, true)]               // a retry that names nothing more than the amount
    [InlineData("100", "PayPal", "pm_1", true)]         // names what was chosen the first time
    [InlineData("200", null, null, false)]              // another amount
    [InlineData("100", "Card", null, false)]            // another kind
    [InlineData("100", null, "pm_2", false)]            // another method
    public void A_repeated_payment_id_is_a_retry_only_when_what_it_names_matches_M1(string amount, string? kind, string? methodId, bool same) =>
        Assert.Equal(same, PurchaseRules.IsSameRequest(100m, PaymentMethodKind.PayPal, "pm_1", decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), kind is null ? null : Enum.Parse<PaymentMethodKind>(kind), methodId));

    [Theory]
    [InlineData("100", "50", null)]
    [InlineData("99", "50", "amountUsd")]
    [InlineData("100.001", "50", "amountUsd")]
    [InlineData(null, "50", "amountUsd")]
    [InlineData("100", "-1", "minimumBalanceUsd")]
    [InlineData("100", "0.001", "minimumBalanceUsd")]
    [InlineData("100", "20000.01", "minimumBalanceUsd")]
    [InlineData("100", null, "minimumBalanceUsd")]
    public void Auto_reload_takes_an_amount_of_at_least_the_minimum_reload_and_a_minimum_of_0_or_more_in_cents_A1(string? amount, string? minimum, string? field)
    {
        static decimal? D(string? s) => s is null ? null : decimal.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

        var problem = ReloadDecisionRules.SettingsProblem(D(amount), D(minimum), 100m, 20_000m);

        Assert.Equal(field, problem?.Field);
    }

    [Theory]
    [InlineData(true, "40", false, 0, null, true)]     // below the minimum: reload
    [InlineData(true, "60", false, 0, null, false)]    // not below
    [InlineData(false, "40", false, 0, null, false)]   // switched off
    [InlineData(true, "40", true, 0, null, false)]     // one in flight already (A2)
    [InlineData(true, "40", false, 1, 30, false)]      // a failed one waits for its retry time (A3)
    [InlineData(true, "40", false, 1, -1, true)]       // its retry time came
    [InlineData(true, "40", false, 3, null, false)]    // the schedule ran out: it waits for the owner
    public void A_reload_starts_once_below_the_minimum_and_never_while_one_is_in_flight_or_waiting_A2_A3(bool enabled, string paid, bool inFlight, int failed, int? retryInMinutes, bool starts) =>
        Assert.Equal(starts, ReloadDecisionRules.StartReload(enabled, 50m, decimal.Parse(paid, System.Globalization.CultureInfo.InvariantCulture), inFlight, failed, retryInMinutes is { } m ? Day0.AddMinutes(m) : null, Day0));

    [Fact]
    public void A_record_expires_when_its_retention_has_passed_in_full_counted_from_its_last_use()
    {
        var day = TimeSpan.FromDays(1);

        Assert.False(RetentionRules.Expired(Day0, Day0 + day - TimeSpan.FromTicks(1), day));
        Assert.True(RetentionRules.Expired(Day0, Day0 + day, day));
        Assert.Equal(Day0.AddHours(5), RetentionRules.LastUse(Day0, Day0.AddHours(5)));
        Assert.Equal(Day0, RetentionRules.LastUse(Day0, null));
        Assert.Equal(Day0, RetentionRules.LastUse(Day0, Day0.AddHours(-1)));
    }

    [Fact]
    public void Retention_settings_keep_keys_at_least_a_day_and_webhook_ids_beyond_the_gateways_retries()
    {
        Assert.Empty(new RetentionOptions().Problems());

        var problems = new RetentionOptions
        {
            IdempotencyKeys = TimeSpan.FromHours(23),
            WebhookEvents = TimeSpan.FromDays(3),
            SentEmails = TimeSpan.FromHours(1),
            SweepInterval = TimeSpan.FromSeconds(5),
            BatchSize = 0,
        }.Problems().ToList();

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Retention:IdempotencyKeys", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Retention:WebhookEvents must be longer than Retention:GatewayRetryHorizon", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Retention:SentEmails", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Retention:SweepInterval", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Retention:BatchSize", StringComparison.Ordinal));
    }
}
