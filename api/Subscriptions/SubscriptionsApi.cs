using Billing.Api.Auth;
using Billing.Api.Idempotency;
using Billing.Api.Payments;
using Billing.Errors;
using Billing.Notifications;
using Billing.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Subscriptions;

public sealed record SubscribeRequest(SubscriptionPlan? Plan, BillingPeriod? Period, string? PaymentMethodId);

/// <summary>P1-P5 for owners: an app's usage and support subscriptions.</summary>
public static class SubscriptionsApi
{
    public static IEndpointRouteBuilder MapSubscriptionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/apps/{appId}/subscriptions").WithTags("Subscriptions").RequireAuthorization();
        group.MapGet("/", GetAll).WithName("GetSubscriptions").Allows("Owner", "Admin", "AppOwner");
        group.MapPost("/", Subscribe).WithName("Subscribe").Allows("Owner", "Admin", "AppOwner").WithIdempotencyKey();
        group.MapPost("/{kind}/cancel", Cancel).WithName("CancelSubscription").Allows("Owner", "Admin", "AppOwner");
        return routes;
    }

    private static async Task<Ok<SubscriptionView[]>> GetAll(string appId, HttpContext http, IClusterClient cluster)
    {
        await PaymentsApi.RequireBillingAccess(cluster, appId, http);
        return TypedResults.Ok(await Task.WhenAll(
            cluster.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(appId, PlanKind.Usage)).Get(),
            cluster.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(appId, PlanKind.Support)).Get()));
    }

    /// <summary>P3: subscribe, or modify the subscription of the plan's kind (upgrades prorated now, the rest at renewal).</summary>
    private static async Task<Ok<SubscriptionView>> Subscribe(string appId, SubscribeRequest request, HttpContext http, IClusterClient cluster)
    {
        await PaymentsApi.RequireBillingAccess(cluster, appId, http);
        var plan = request.Plan ?? throw BillingException.Invalid("plan", "subscription.plan.invalid", "Choose a plan.");
        var period = request.Period ?? throw BillingException.Invalid("period", "subscription.period.invalid", "The period is Monthly or Yearly.");
        if (string.IsNullOrWhiteSpace(request.PaymentMethodId))
            throw BillingException.Invalid("paymentMethodId", "payment-method.not-found", "Choose a stored card or PayPal method.");
        var order = new SubscriptionOrder(IdempotencyKeys.DeriveId(http, "ord_"), plan, period, request.PaymentMethodId, Auth.CallerExtensions.UserId(http.User));
        return TypedResults.Ok(await cluster.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(appId, SubscriptionKeys.KindOf(plan))).Subscribe(order));
    }

    /// <summary>P5: stops renewal at the end of the paid period.</summary>
    private static async Task<Ok<SubscriptionView>> Cancel(string appId, string kind, HttpContext http, IClusterClient cluster)
    {
        await PaymentsApi.RequireBillingAccess(cluster, appId, http);
        var planKind = kind switch
        {
            "usage" => PlanKind.Usage,
            "support" => PlanKind.Support,
            _ => throw BillingException.Invalid("kind", "subscription.kind.invalid", "The kind is usage or support."),
        };
        return TypedResults.Ok(await cluster.GetGrain<ISubscriptionGrain>(SubscriptionKeys.For(appId, planKind)).Cancel(Auth.CallerExtensions.UserId(http.User)));
    }
}
