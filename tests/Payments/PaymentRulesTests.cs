using Billing.Api.Payments;
using Billing.Notifications;
using Billing.Rules;

namespace Billing.Tests.Payments;

/// <summary>The pure rules of payments, auto-reload and subscriptions, and the webhook signature.</summary>
public sealed class PaymentRulesTests
{
    [Theory]
    [InlineData("100", null)]
    [InlineData("20000", null)]
    [InlineData("99.99", "least")]
    [InlineData("20000.01", "most")]
    [InlineData("100.005", "cents")]
    public void A_payment_is_100_to_20000_dollars_in_cents_M1(string amount, string? problem)
    {
        var result = PaymentRules.AmountProblem(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), 100m, 20_000m);
        if (problem is null)
            Assert.Null(result);
        else
            Assert.Contains(problem, result, StringComparison.Ordinal);
    }

    private static readonly (string Id, PaymentMethodKind Kind)[] OnePayPalOneCard = [("pm_paypal", PaymentMethodKind.PayPal), ("pm_card", PaymentMethodKind.Card)];

    [Fact]
    public void With_no_method_named_the_apps_one_PayPal_method_pays_M1() =>
        Assert.Equal((PaymentMethodKind.PayPal, "pm_paypal"), PaymentRules.ChooseMethod(null, null, OnePayPalOneCard));

    [Fact]
    public void A_kind_without_an_id_takes_the_apps_one_method_of_that_kind_M1() =>
        Assert.Equal((PaymentMethodKind.Card, "pm_card"), PaymentRules.ChooseMethod(PaymentMethodKind.Card, null, OnePayPalOneCard));

    [Fact]
    public void An_id_without_a_kind_pays_with_that_method_whatever_its_kind_M1() =>
        Assert.Equal((PaymentMethodKind.Card, "pm_card"), PaymentRules.ChooseMethod(null, "pm_card", OnePayPalOneCard));

    [Fact]
    public void A_wire_transfer_uses_no_stored_method_M2()
    {
        Assert.Equal((PaymentMethodKind.WireTransfer, (string?)null), PaymentRules.ChooseMethod(PaymentMethodKind.WireTransfer, null, []));
        var withId = Assert.Throws<Billing.Errors.BillingException>(() => PaymentRules.ChooseMethod(PaymentMethodKind.WireTransfer, "pm_card", OnePayPalOneCard));
        Assert.Equal(("paymentMethodId", "payment.wire.method"), (withId.Field, withId.Code));
    }

    [Theory]
    [InlineData(null, null, 0, "payment-method.required", "no stored PayPal method to use by default")]
    [InlineData(null, null, 2, "payment-method.required", "2 stored PayPal methods")]
    [InlineData("Card", null, 0, "payment-method.required", "no stored Card method")]
    [InlineData(null, "pm_other", 1, "payment-method.not-found", "no payment method 'pm_other'")]
    [InlineData("Card", "pm_paypal0", 1, "payment.method.kind", "is PayPal, not Card")]
    public void When_the_method_cannot_be_chosen_the_request_is_refused_naming_paymentMethodId_M1(string? kind, string? id, int payPalMethods, string code, string message)
    {
        (string, PaymentMethodKind)[] stored = [.. Enumerable.Range(0, payPalMethods).Select(i => ($"pm_paypal{i}", PaymentMethodKind.PayPal))];

        var refused = Assert.Throws<Billing.Errors.BillingException>(() => PaymentRules.ChooseMethod(kind is null ? null : Enum.Parse<PaymentMethodKind>(kind), id, stored));

        Assert.Equal(("paymentMethodId", code), (refused.Field, refused.Code));
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4242424242424242", true)]
    [InlineData("4242424242424241", false)]
    [InlineData("5555555555554444", true)]
    [InlineData("42424242", false)]
    [InlineData("4242a24242424242", false)]
    public void Card_numbers_pass_the_Luhn_check(string digits, bool valid) => Assert.Equal(valid, PaymentRules.PassesLuhn(digits));

    [Fact]
    public void A_card_expires_at_the_start_of_the_month_after_its_expiry_and_is_noticed_30_days_before_M3()
    {
        Assert.Equal(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero), PaymentRules.ExpiresAt(2, 2027));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), PaymentRules.ExpiresAt(12, 2026));
        Assert.Equal(new DateTimeOffset(2027, 1, 30, 0, 0, 0, TimeSpan.Zero), PaymentRules.ExpiryNoticeAt(2, 2027));
    }

    [Fact]
    public void A_reload_is_due_below_the_minimum_and_retried_on_the_schedule_then_not_A2_A3()
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        TimeSpan[] schedule = [TimeSpan.FromHours(1), TimeSpan.FromHours(6)];
        Assert.True(AutoReloadRules.ReloadDue(49.99m, 50m));
        Assert.False(AutoReloadRules.ReloadDue(50m, 50m));
        Assert.Equal(at.AddHours(1), AutoReloadRules.NextRetryAt(at, 1, schedule));
        Assert.Equal(at.AddHours(6), AutoReloadRules.NextRetryAt(at, 2, schedule));
        Assert.Null(AutoReloadRules.NextRetryAt(at, 3, schedule));
    }

    [Theory]
    [InlineData(50, false, false, true)]   // at the limit, auto-reload off: alert
    [InlineData(50.01, false, false, false)] // above the limit
    [InlineData(20, true, false, false)]   // auto-reload healthy: it reloads instead
    [InlineData(20, false, true, false)]   // already alerted in this crossing
    public void The_low_balance_alert_goes_once_per_crossing_when_auto_reload_is_off_or_failing_A5(decimal balance, bool healthy, bool alerted, bool due) =>
        Assert.Equal(due, AutoReloadRules.LowBalanceAlertDue(balance, 50m, healthy, alerted));

    [Fact]
    public void Monthly_periods_count_from_the_activation_day_and_keep_it_after_short_months_P2()
    {
        var anchor = new DateTimeOffset(2026, 1, 31, 9, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 9, 0, 0, TimeSpan.Zero), SubscriptionRules.PeriodEnd(anchor, 0, BillingPeriod.Monthly));
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 9, 0, 0, TimeSpan.Zero), SubscriptionRules.PeriodEnd(anchor, 1, BillingPeriod.Monthly));
        Assert.Equal(new DateTimeOffset(2027, 1, 31, 9, 0, 0, TimeSpan.Zero), SubscriptionRules.PeriodEnd(anchor, 0, BillingPeriod.Yearly));
        Assert.Equal(new DateTimeOffset(2026, 3, 26, 9, 0, 0, TimeSpan.Zero), SubscriptionRules.RenewalNoticeAt(new DateTimeOffset(2026, 3, 31, 9, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void An_upgrade_is_prorated_to_the_cent_over_what_is_left_of_the_period_and_a_downgrade_costs_nothing_now_P3()
    {
        var start = new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
        var end = start.AddDays(30);
        Assert.Equal(500m, SubscriptionRules.ProratedUpgradeUsd(500m, 1_500m, start, end, start.AddDays(15)));
        Assert.Equal(333.33m, SubscriptionRules.ProratedUpgradeUsd(500m, 1_500m, start, end, start.AddDays(20)));
        Assert.Equal(0m, SubscriptionRules.ProratedUpgradeUsd(1_500m, 500m, start, end, start.AddDays(15)));
        Assert.True(SubscriptionRules.AppliesNow(500m, 1_500m, BillingPeriod.Monthly, BillingPeriod.Monthly));
        Assert.False(SubscriptionRules.AppliesNow(500m, 1_500m, BillingPeriod.Monthly, BillingPeriod.Yearly));
        Assert.False(SubscriptionRules.AppliesNow(1_500m, 500m, BillingPeriod.Monthly, BillingPeriod.Monthly));
    }

    [Fact]
    public void Dunning_retries_on_its_schedule_from_the_due_date_then_lapses_P4()
    {
        var due = new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);
        TimeSpan[] schedule = [TimeSpan.FromDays(1), TimeSpan.FromDays(3), TimeSpan.FromDays(7)];
        Assert.Equal([due.AddDays(1), due.AddDays(3), due.AddDays(7)], Enumerable.Range(1, 3).Select(n => SubscriptionRules.NextDunningAttempt(due, n, schedule)!.Value));
        Assert.Null(SubscriptionRules.NextDunningAttempt(due, 4, schedule));
    }

    [Fact]
    public void A_webhook_signature_holds_only_for_its_body_secret_and_five_minutes_M2()
    {
        var now = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var body = "{\"id\":\"evt_1\"}"u8.ToArray();
        var signature = WebhookSignature.Sign("s3cret-s3cret-s3cret", now, body);

        Assert.True(WebhookSignature.IsValid("s3cret-s3cret-s3cret", signature, body, now.AddMinutes(5)));
        Assert.False(WebhookSignature.IsValid("s3cret-s3cret-s3cret", signature, body, now.AddMinutes(5).AddSeconds(1)));
        Assert.False(WebhookSignature.IsValid("other-secret-other", signature, body, now));
        Assert.False(WebhookSignature.IsValid("s3cret-s3cret-s3cret", signature, "{\"id\":\"evt_2\"}"u8.ToArray(), now));
        Assert.False(WebhookSignature.IsValid("s3cret-s3cret-s3cret", "t=abc,v1=00", body, now));
        Assert.False(WebhookSignature.IsValid("s3cret-s3cret-s3cret", null, body, now));
    }
}
