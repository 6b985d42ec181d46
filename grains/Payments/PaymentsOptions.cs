using Billing.Notifications;
using Billing.Subscriptions;

namespace Billing.Payments;

/// <summary>Payment, auto-reload and subscription settings (section <c>Payments</c>), validated when the silo starts.</summary>
public sealed class PaymentsOptions
{
    public const string Section = "Payments";

    /// <summary>The name of the sandbox gateway, the one that ships with the product.</summary>
    public const string SandboxGateway = "Sandbox";

    /// <summary>Which payment gateway the port uses. A real gateway registers its own name; only the sandbox has test clocks.</summary>
    public string Gateway { get; set; } = SandboxGateway;

    /// <summary>M1: the smallest payment.</summary>
    public decimal MinimumPurchaseUsd { get; set; } = 100m;

    /// <summary>M1: the largest payment per transaction.</summary>
    public decimal MaximumPurchaseUsd { get; set; } = 20_000m;

    /// <summary>A1: the smallest reload amount.</summary>
    public decimal MinimumReloadUsd { get; set; } = 100m;

    /// <summary>A5: the low-balance alert limit.</summary>
    public decimal LowBalanceLimitUsd { get; set; } = 50m;

    /// <summary>M1: how long a card payment waits for its OTP before it is abandoned (and stops blocking others).</summary>
    public TimeSpan OtpTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A3: the waits after the 1st, 2nd, ... failed reload before it is tried again.</summary>
    public List<TimeSpan> ReloadRetrySchedule { get; set; } = [TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromHours(24)];

    /// <summary>P4: after the due date, when a failed renewal is retried (the 1st, 2nd, ... retry); after the last it lapses.</summary>
    public List<TimeSpan> DunningSchedule { get; set; } = [TimeSpan.FromDays(1), TimeSpan.FromDays(3), TimeSpan.FromDays(7)];

    /// <summary>P1, P2: monthly and yearly fees of each plan (Basic support is free).</summary>
    public Dictionary<SubscriptionPlan, Dictionary<BillingPeriod, decimal>> PlanPricesUsd { get; set; } = new()
    {
        [SubscriptionPlan.Essential] = new() { [BillingPeriod.Monthly] = 500m, [BillingPeriod.Yearly] = 5_000m },
        [SubscriptionPlan.Advanced] = new() { [BillingPeriod.Monthly] = 1_500m, [BillingPeriod.Yearly] = 15_000m },
        [SubscriptionPlan.Basic] = new() { [BillingPeriod.Monthly] = 0m, [BillingPeriod.Yearly] = 0m },
        [SubscriptionPlan.Enhanced] = new() { [BillingPeriod.Monthly] = 250m, [BillingPeriod.Yearly] = 2_500m },
        [SubscriptionPlan.EnterpriseSupport] = new() { [BillingPeriod.Monthly] = 1_000m, [BillingPeriod.Yearly] = 10_000m },
    };

    /// <summary>U4: where the invoice PDF's fonts (DejaVu Sans regular and bold) are; Debian's <c>fonts-dejavu-core</c> puts them here.</summary>
    public string InvoiceFontDirectory { get; set; } = "/usr/share/fonts/truetype/dejavu";

    /// <summary>The sandbox gateway's own settings.</summary>
    public SandboxGatewayOptions Sandbox { get; set; } = new();

    public bool IsSandbox => Gateway == SandboxGateway;

    public decimal PriceOf(SubscriptionPlan plan, BillingPeriod period) =>
        PlanPricesUsd.TryGetValue(plan, out var byPeriod) && byPeriod.TryGetValue(period, out var price)
            ? price
            : throw new InvalidOperationException($"{Section}:PlanPricesUsd:{plan}:{period} is not set.");

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Gateway))
            yield return $"{Section}:Gateway must name a payment gateway (e.g. {SandboxGateway}).";
        if (MinimumPurchaseUsd <= 0m || MaximumPurchaseUsd < MinimumPurchaseUsd)
            yield return $"{Section}:MinimumPurchaseUsd must be positive and at most {Section}:MaximumPurchaseUsd (are {MinimumPurchaseUsd} and {MaximumPurchaseUsd}).";
        if (MinimumReloadUsd < MinimumPurchaseUsd || MinimumReloadUsd > MaximumPurchaseUsd)
            yield return $"{Section}:MinimumReloadUsd must be between the minimum and maximum purchase (is {MinimumReloadUsd}).";
        if (LowBalanceLimitUsd < 0m)
            yield return $"{Section}:LowBalanceLimitUsd must not be negative (is {LowBalanceLimitUsd}).";
        if (OtpTimeout < TimeSpan.FromMinutes(1) || OtpTimeout > TimeSpan.FromHours(24))
            yield return $"{Section}:OtpTimeout must be between 00:01:00 and 24:00:00 (is {OtpTimeout}).";
        if (ReloadRetrySchedule.Any(t => t <= TimeSpan.Zero))
            yield return $"{Section}:ReloadRetrySchedule must hold positive waits.";
        if (DunningSchedule.Count == 0 || DunningSchedule.Any(t => t <= TimeSpan.Zero) || !DunningSchedule.SequenceEqual(DunningSchedule.Order()))
            yield return $"{Section}:DunningSchedule must hold at least one positive, increasing wait.";
        foreach (var plan in Enum.GetValues<SubscriptionPlan>())
        {
            foreach (var period in Enum.GetValues<BillingPeriod>())
            {
                if (!PlanPricesUsd.TryGetValue(plan, out var byPeriod) || !byPeriod.TryGetValue(period, out var price))
                    yield return $"{Section}:PlanPricesUsd:{plan}:{period} must be set.";
                else if (price < 0m || (price > 0m && price > MaximumPurchaseUsd))
                    yield return $"{Section}:PlanPricesUsd:{plan}:{period} must be between 0 and the maximum purchase (is {price}).";
            }
        }

        foreach (var file in new[] { Billing.Invoices.InvoiceFonts.RegularFile, Billing.Invoices.InvoiceFonts.BoldFile })
        {
            if (!File.Exists(Path.Combine(InvoiceFontDirectory, file)))
                yield return $"{Section}:InvoiceFontDirectory '{InvoiceFontDirectory}' has no {file} (install the Debian package fonts-dejavu-core, or point the setting at a folder that has it).";
        }

        if (Sandbox.SlowAnswerDelay < TimeSpan.Zero || Sandbox.SlowAnswerDelay > TimeSpan.FromMinutes(10))
            yield return $"{Section}:Sandbox:SlowAnswerDelay must be between 0 and 10 minutes (is {Sandbox.SlowAnswerDelay}).";
    }
}

public sealed class SandboxGatewayOptions
{
    /// <summary>How long the sandbox's "slow" test account takes to answer after it has recorded the charge (docs/payments.md).</summary>
    public TimeSpan SlowAnswerDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The OTP every sandbox card accepts (except the "OTP fails" test card).</summary>
    public string Otp { get; set; } = "123456";
}
