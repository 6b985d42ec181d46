using System.ComponentModel;
using Billing.Api.Auth;
using Billing.Api.Idempotency;
using Billing.Errors;
using Billing.Notifications;
using Billing.Payments;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Payments;

/// <summary>The card as typed in the form. Only the gateway sees it; the API keeps and logs nothing of it.</summary>
public sealed record CardRequest(string? Number, string? Holder, int? ExpiryMonth, int? ExpiryYear, string? Cvv)
{
    public override string ToString() => "CardRequest { **** }";
}

public sealed record PaymentMethodRequest(PaymentMethodKind? Kind, CardRequest? Card, string? PayPalEmail);

/// <summary>M1, M2: the amount, and how to pay. Either may name the method; with neither, the app's one PayPal method pays.</summary>
public sealed record AddFundsRequest(
    [property: Description("USD in whole cents, $100 to $20,000 by default (Payments:MinimumPurchaseUsd, MaximumPurchaseUsd).")]
    decimal? AmountUsd,
    [property: Description("Card, PayPal or WireTransfer. Optional: the kind of paymentMethodId when that is given, else PayPal (M1's default selection).")]
    PaymentMethodKind? Method,
    [property: Description("A stored card or PayPal method of the app. Optional when the app has exactly one stored method of the kind paid with (PayPal by default); required when it has none or several (400 payment-method.required). Never given for WireTransfer.")]
    string? PaymentMethodId);

public sealed record OtpRequest(string? Code);

public sealed record AutoReloadRequest(bool? Enabled, decimal? AmountUsd, decimal? MinimumBalanceUsd, string? PaymentMethodId);

/// <summary>
/// M1-M3, A1-A5 for owners: payment methods, add funds (card with OTP, PayPal, wire transfer), payments and
/// auto-reload. Billing managers (workspace Owner, Admin) and the app's owner. Money-moving POSTs take an Idempotency-Key.
/// </summary>
public static class PaymentsApi
{
    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/apps/{appId}").WithTags("Payments").RequireAuthorization();
        group.MapGet("/payment-methods", GetMethods).WithName("GetPaymentMethods").Allows("Owner", "Admin", "AppOwner");
        group.MapPost("/payment-methods", AddMethod).WithName("AddPaymentMethod").Allows("Owner", "Admin", "AppOwner");
        group.MapDelete("/payment-methods/{paymentMethodId}", RemoveMethod).WithName("RemovePaymentMethod").Allows("Owner", "Admin", "AppOwner");
        group.MapPost("/funds", AddFunds).WithName("AddFunds").Allows("Owner", "Admin", "AppOwner").WithIdempotencyKey();
        group.MapPost("/payments/{paymentId}/otp", ConfirmOtp).WithName("ConfirmPaymentOtp").Allows("Owner", "Admin", "AppOwner").WithIdempotencyKey();
        group.MapGet("/payments", GetPayments).WithName("GetPayments").Allows("Owner", "Admin", "AppOwner");
        group.MapGet("/payments/{paymentId}", GetPayment).WithName("GetPayment").Allows("Owner", "Admin", "AppOwner");
        group.MapGet("/auto-reload", GetAutoReload).WithName("GetAutoReload").Allows("Owner", "Admin", "AppOwner");
        group.MapPut("/auto-reload", SetAutoReload).WithName("SetAutoReload").Allows("Owner", "Admin", "AppOwner");
        return routes;
    }

    private static async Task<Ok<IReadOnlyList<PaymentMethodView>>> GetMethods(string appId, HttpContext http, IClusterClient cluster)
    {
        await RequireBillingAccess(cluster, appId, http);
        return TypedResults.Ok(await Vault(cluster, appId).GetPaymentMethods());
    }

    private static async Task<Created<PaymentMethodView>> AddMethod(string appId, PaymentMethodRequest request, HttpContext http, IClusterClient cluster)
    {
        await RequireBillingAccess(cluster, appId, http);
        var kind = request.Kind ?? throw BillingException.Invalid("kind", "payment-method.kind.invalid", "The kind is Card or PayPal.");
        var card = request.Card is { } c
            ? new NewCard(c.Number ?? "", c.Holder ?? "", c.ExpiryMonth ?? 0, c.ExpiryYear ?? 0, c.Cvv ?? "")
            : null;
        var method = await Vault(cluster, appId).AddPaymentMethod(new AddPaymentMethod(kind, card, request.PayPalEmail, http.User.UserId()));
        return TypedResults.Created($"/apps/{appId}/payment-methods/{method.Id}", method);
    }

    private static async Task<NoContent> RemoveMethod(string appId, string paymentMethodId, HttpContext http, IClusterClient cluster)
    {
        await RequireBillingAccess(cluster, appId, http);
        await Vault(cluster, appId).RemovePaymentMethod(paymentMethodId, http.User.UserId());
        return TypedResults.NoContent();
    }

    /// <summary>M1, M2: a card payment answers RequiresOtp (then POST its otp), PayPal is charged at once, a wire is pending until it clears.</summary>
    private static async Task<Created<PaymentView>> AddFunds(string appId, AddFundsRequest request, HttpContext http, IClusterClient cluster)
    {
        await RequireBillingAccess(cluster, appId, http);
        var amount = request.AmountUsd ?? throw BillingException.Invalid("amountUsd", "payment.amount.invalid", "The amount is required.");
        // Which method pays when the request names none (PayPal by default, M1) is the grain's rule: PaymentRules.ChooseMethod.
        var payment = await Payments(cluster, appId).AddFunds(new AddFunds(IdempotencyKeys.DeriveId(http, "pay_"), amount, request.Method, request.PaymentMethodId, http.User.UserId()));
        return TypedResults.Created($"/apps/{appId}/payments/{payment.Id}", payment);
    }

    private static async Task<Ok<PaymentView>> ConfirmOtp(string appId, string paymentId, OtpRequest request, HttpContext http, IClusterClient cluster)
    {
        await RequireBillingAccess(cluster, appId, http);
        if (string.IsNullOrWhiteSpace(request.Code) || request.Code.Length > 12)
            throw BillingException.Invalid("code", "payment.otp.invalid", "The OTP is 1 to 12 characters.");
        return TypedResults.Ok(await Payments(cluster, appId).ConfirmOtp(paymentId, request.Code));
    }

    private static async Task<Ok<IReadOnlyList<PaymentView>>> GetPayments(string appId, HttpContext http, IClusterClient cluster)
    {
        await RequireBillingAccess(cluster, appId, http);
        return TypedResults.Ok(await Payments(cluster, appId).GetPayments());
    }

    private static async Task<Results<Ok<PaymentView>, NotFound>> GetPayment(string appId, string paymentId, HttpContext http, IClusterClient cluster)
    {
        await RequireBillingAccess(cluster, appId, http);
        return await Payments(cluster, appId).GetPayment(paymentId) is { } payment ? TypedResults.Ok(payment) : TypedResults.NotFound();
    }

    private static async Task<Ok<AutoReloadView>> GetAutoReload(string appId, HttpContext http, IClusterClient cluster)
    {
        await RequireBillingAccess(cluster, appId, http);
        return TypedResults.Ok(await AutoReload(cluster, appId).GetAutoReload());
    }

    /// <summary>A1, A4: switch auto-reload on (after a completed purchase) with its settings, or off.</summary>
    private static async Task<Ok<AutoReloadView>> SetAutoReload(string appId, AutoReloadRequest request, HttpContext http, IClusterClient cluster)
    {
        await RequireBillingAccess(cluster, appId, http);
        var enabled = request.Enabled ?? throw BillingException.Invalid("enabled", "auto-reload.enabled.missing", "Say whether auto-reload is enabled.");
        return TypedResults.Ok(await AutoReload(cluster, appId).ConfigureAutoReload(new AutoReloadSettings(enabled, request.AmountUsd, request.MinimumBalanceUsd, request.PaymentMethodId), http.User.UserId()));
    }

    /// <summary>Billing managers of the workspace, and the app's own owner (W2).</summary>
    public static Task RequireBillingAccess(IClusterClient cluster, string appId, HttpContext http) =>
        Access.RequireApp(cluster, appId, http.User.UserId(), appOwnerAllowed: true, Access.BillingManagers);

    /// <summary>Purchases, and every payment (the history is read from the <c>Payments</c> table through it).</summary>
    private static IAppPaymentsGrain Payments(IClusterClient cluster, string appId) => cluster.GetGrain<IAppPaymentsGrain>(appId);

    private static IPaymentMethodsGrain Vault(IClusterClient cluster, string appId) => cluster.GetGrain<IPaymentMethodsGrain>(appId);

    private static IAutoReloadGrain AutoReload(IClusterClient cluster, string appId) => cluster.GetGrain<IAutoReloadGrain>(appId);
}
