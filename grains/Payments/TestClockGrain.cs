using Billing.Errors;
using Billing.Notifications;
using Billing.Subscriptions;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.Extensions.Options;

namespace Billing.Payments;

[GenerateSerializer, Alias("billing.payments.test-clock.state")]
public sealed class TestClockState
{
    [Id(0)] public TimeSpan Offset { get; set; }
}

/// <summary>
/// A sandbox workspace's test clock (docs/payments.md). The offset is persisted, so it survives restarts; after moving
/// it, the workspace's free credits, then every app's payments and subscriptions are asked to run what fell due, in that
/// order, at once.
/// </summary>
public sealed class TestClockGrain(
    [PersistentState("test-clock", StorageNames.Billing)] IPersistentState<TestClockState> state,
    BillingClock clock,
    IOptions<PaymentsOptions> options) : Grain, ITestClockGrain
{
    /// <summary>No single advance beyond this: a typo should not jump a workspace ten years.</summary>
    public static readonly TimeSpan MaxAdvance = TimeSpan.FromDays(400);

    Task<TimeSpan> ITestClockGrain.GetOffset() => Task.FromResult(state.State.Offset);

    async Task<DateTimeOffset> ITestClockGrain.Advance(TimeSpan by)
    {
        if (!options.Value.IsSandbox)
            throw BillingException.Forbidden("test-clock.sandbox-only", "Test clocks exist only with the sandbox gateway.");
        if (by <= TimeSpan.Zero || by > MaxAdvance)
            throw BillingException.Invalid("by", "test-clock.advance.invalid", $"A test clock moves forward by more than 0 and at most {MaxAdvance.TotalDays} days.");
        var workspaceId = this.GetPrimaryKeyString();
        var workspace = GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);
        var appIds = await workspace.GetAppIds();
        if (appIds.Count == 0 && await workspace.GetFreeCreditGrant() is null)
            throw BillingException.NotFound("workspace.not-found", $"Workspace '{workspaceId}' was not found.");

        state.State.Offset += by;
        await state.WriteStateAsync();
        // The workspace's free credits first (C2): their expiry changes what the apps can spend, not the reverse.
        await GrainFactory.GetGrain<IFreeCreditPoolGrain>(workspaceId).RunDue();
        // Then payments (an abandoned OTP, a reload retry, a card expiring), then the subscriptions that may charge those methods.
        foreach (var appId in appIds)
        {
            await GrainFactory.GetGrain<IAppPaymentsGrain>(appId).RunDue();
            await GrainFactory.GetGrain<IAutoReloadGrain>(appId).RunDue();
            await GrainFactory.GetGrain<IPaymentMethodsGrain>(appId).RunDue();
            await GrainFactory.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(appId, PlanKind.Usage)).RunDue();
            await GrainFactory.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(appId, PlanKind.Support)).RunDue();
        }

        return clock.UtcNow + state.State.Offset;
    }
}

/// <summary>
/// The time the payment, subscription and invoice grains and the free-credit expiry of one workspace read: the billing
/// clock plus the workspace's test-clock offset. With any gateway but the sandbox there is no offset and no call:
/// production time is untouched.
/// </summary>
public sealed class WorkspaceTime(BillingClock clock, IOptions<PaymentsOptions> options, IGrainFactory grains)
{
    public async Task<DateTimeOffset> NowAsync(string workspaceId) => clock.UtcNow + await OffsetAsync(workspaceId);

    /// <summary>The workspace's test-clock offset; zero, without a call, outside the sandbox.</summary>
    public async Task<TimeSpan> OffsetAsync(string workspaceId) =>
        options.Value.IsSandbox ? await grains.GetGrain<ITestClockGrain>(workspaceId).GetOffset() : TimeSpan.Zero;
}
