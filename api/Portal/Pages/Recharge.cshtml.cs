using Billing.Notifications;
using Billing.Payments;
using Billing.Wallets;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>
/// M1, M2: add funds by a stored method, a new card (then the OTP step), PayPal, or wire transfer (pending). The
/// form carries an idempotency key made when it was shown, so a double submit never pays twice.
/// </summary>
public sealed class RechargeModel : AppPageModel
{
    public WalletBalance? Balance { get; private set; }

    public IReadOnlyList<PaymentMethodView> Methods { get; private set; } = [];

    public IReadOnlyList<PaymentView> Payments { get; private set; } = [];

    public string IdempotencyKey { get; } = "portal-" + Guid.NewGuid().ToString("N");

    public string Base => $"/workspaces/{Uri.EscapeDataString(App!.WorkspaceId)}/apps/{Uri.EscapeDataString(App.Id)}";

    public async Task OnGetAsync(string workspaceId, string appId)
    {
        await LoadApp(workspaceId, appId);
        Balance = await Api.Get<WalletBalance>($"{AppPath}/balance");
        Methods = [.. (await Api.Get<IReadOnlyList<PaymentMethodView>>($"{AppPath}/payment-methods")).Where(m => m.Kind != PaymentMethodKind.WireTransfer)];
        Payments = await Api.Get<IReadOnlyList<PaymentView>>($"{AppPath}/payments");
    }

    public async Task<IActionResult> OnPostAsync(string workspaceId, string appId, FundsForm form)
    {
        await LoadApp(workspaceId, appId);
        if (form.Amount is null)
            return Redirect(Request.Path, null, "Enter the amount.");
        string? methodId = null;
        PaymentMethodKind kind;
        switch (form.Pay)
        {
            case { } saved when saved.StartsWith("saved:", StringComparison.Ordinal):
                methodId = saved["saved:".Length..];
                kind = (await Api.Get<IReadOnlyList<PaymentMethodView>>($"{AppPath}/payment-methods")).FirstOrDefault(m => m.Id == methodId)?.Kind
                    ?? PaymentMethodKind.Card;
                break;
            case "card":
                kind = PaymentMethodKind.Card;
                methodId = (await Api.Post<PaymentMethodView>($"{AppPath}/payment-methods", new
                {
                    kind,
                    card = new { number = form.CardNumber, holder = form.CardHolder, expiryMonth = form.CardExpiryMonth, expiryYear = form.CardExpiryYear, cvv = form.CardCvv },
                })).Id;
                break;
            case "paypal":
                kind = PaymentMethodKind.PayPal;
                methodId = (await Api.Post<PaymentMethodView>($"{AppPath}/payment-methods", new { kind, payPalEmail = form.PayPalEmail })).Id;
                break;
            case "wire":
                kind = PaymentMethodKind.WireTransfer;
                break;
            default:
                return Redirect(Request.Path, null, "Choose how to pay.");
        }

        var payment = await Api.Post<PaymentView>($"{AppPath}/funds", new { amountUsd = form.Amount, method = kind, paymentMethodId = methodId }, form.IdempotencyKey);
        return Redirect($"{Base}/payments/{Uri.EscapeDataString(payment.Id)}", payment.Status switch
        {
            PaymentStatus.RequiresOtp => "Enter the one-time code your bank sent to finish the card payment.",
            PaymentStatus.AwaitingTransfer => "The wire transfer is pending until the money arrives.",
            _ => null,
        });
    }

    private IActionResult Redirect(string url, string? notice, string refusal)
    {
        Refusal = refusal;
        return Redirect(url, notice);
    }
}

/// <summary>The add-funds form. Card fields go to the API once, to be stored as a token; nothing of them is kept here.</summary>
public sealed class FundsForm
{
    public decimal? Amount { get; set; }
    public string? Pay { get; set; }
    public string? IdempotencyKey { get; set; }
    public string? CardNumber { get; set; }
    public string? CardHolder { get; set; }
    public int? CardExpiryMonth { get; set; }
    public int? CardExpiryYear { get; set; }
    public string? CardCvv { get; set; }
    public string? PayPalEmail { get; set; }

    public override string ToString() => "FundsForm { **** }";
}
