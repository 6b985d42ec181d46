using Billing.Notifications;
using Billing.Payments;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>M1: an app's stored cards and PayPal accounts (the "update payment method" emails land here).</summary>
public sealed class PaymentMethodsModel : AppPageModel
{
    public IReadOnlyList<PaymentMethodView> Methods { get; private set; } = [];

    public async Task OnGetAsync(string workspaceId, string appId)
    {
        await LoadApp(workspaceId, appId);
        Methods = await Api.Get<IReadOnlyList<PaymentMethodView>>($"{AppPath}/payment-methods");
    }

    public async Task<IActionResult> OnPostCardAsync(string workspaceId, string appId, string? number, string? holder, int? expiryMonth, int? expiryYear, string? cvv)
    {
        await LoadApp(workspaceId, appId);
        var added = await Api.Post<PaymentMethodView>($"{AppPath}/payment-methods", new { kind = PaymentMethodKind.Card, card = new { number, holder, expiryMonth, expiryYear, cvv } });
        return Redirect(Request.Path, $"{added.Display} added.");
    }

    public async Task<IActionResult> OnPostPayPalAsync(string workspaceId, string appId, string? payPalEmail)
    {
        await LoadApp(workspaceId, appId);
        var added = await Api.Post<PaymentMethodView>($"{AppPath}/payment-methods", new { kind = PaymentMethodKind.PayPal, payPalEmail });
        return Redirect(Request.Path, $"{added.Display} added.");
    }

    public async Task<IActionResult> OnPostRemoveAsync(string workspaceId, string appId, string paymentMethodId)
    {
        await LoadApp(workspaceId, appId);
        await Api.Send(HttpMethod.Delete, $"{AppPath}/payment-methods/{Uri.EscapeDataString(paymentMethodId)}");
        return Redirect(Request.Path, "Payment method removed.");
    }
}
