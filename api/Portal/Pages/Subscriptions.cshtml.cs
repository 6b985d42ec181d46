using Billing.Notifications;
using Billing.Payments;
using Billing.Subscriptions;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>P1-P5: an app's usage and support subscriptions, subscribing, changing and cancelling.</summary>
public sealed class SubscriptionsModel : AppPageModel
{
    public IReadOnlyList<SubscriptionView> Subscriptions { get; private set; } = [];

    public IReadOnlyList<PaymentMethodView> Methods { get; private set; } = [];

    public string IdempotencyKey { get; } = "portal-sub-" + Guid.NewGuid().ToString("N");

    public async Task OnGetAsync(string workspaceId, string appId)
    {
        await LoadApp(workspaceId, appId);
        Subscriptions = await Api.Get<IReadOnlyList<SubscriptionView>>($"{AppPath}/subscriptions");
        Methods = [.. (await Api.Get<IReadOnlyList<PaymentMethodView>>($"{AppPath}/payment-methods")).Where(m => m.Kind != PaymentMethodKind.WireTransfer)];
    }

    public async Task<IActionResult> OnPostSubscribeAsync(string workspaceId, string appId, SubscriptionPlan? plan, BillingPeriod? period, string? paymentMethodId, string? idempotencyKey)
    {
        await LoadApp(workspaceId, appId);
        var view = await Api.Post<SubscriptionView>($"{AppPath}/subscriptions", new { plan, period, paymentMethodId }, idempotencyKey ?? IdempotencyKey);
        return Redirect(Request.Path, $"{view.Kind} subscription: {view.Plan} ({view.Status}).");
    }

    public async Task<IActionResult> OnPostCancelAsync(string workspaceId, string appId, string kind)
    {
        await LoadApp(workspaceId, appId);
        await Api.Send(HttpMethod.Post, $"{AppPath}/subscriptions/{(kind == "support" ? "support" : "usage")}/cancel");
        return Redirect(Request.Path, "The subscription ends at the end of the paid period.");
    }
}
