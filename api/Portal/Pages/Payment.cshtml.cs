using Billing.Payments;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>One payment: the OTP step of a card payment (M1), a wire transfer's pending total and reference (M2), its invoice.</summary>
public sealed class PaymentModel : AppPageModel
{
    public PaymentView? Payment { get; private set; }

    public string IdempotencyKey { get; } = "portal-otp-" + Guid.NewGuid().ToString("N");

    public string StatusText => Payment!.Status switch
    {
        PaymentStatus.RequiresOtp => "Waiting for the one-time code",
        PaymentStatus.Charging => "Being charged",
        PaymentStatus.AwaitingTransfer => "Pending: waiting for the wire transfer",
        PaymentStatus.Succeeded => "Paid",
        PaymentStatus.Failed => "Failed" + (Payment.FailureReason is { } why ? $": {why}" : ""),
        PaymentStatus.Abandoned => "Abandoned (the code was not entered in time)",
        var other => other.ToString(),
    };

    public async Task OnGetAsync(string workspaceId, string appId, string paymentId)
    {
        await LoadApp(workspaceId, appId);
        Payment = await Api.Get<PaymentView>($"{AppPath}/payments/{Uri.EscapeDataString(paymentId)}");
    }

    public async Task<IActionResult> OnPostAsync(string workspaceId, string appId, string paymentId, string? code, string? idempotencyKey)
    {
        await LoadApp(workspaceId, appId);
        var payment = await Api.Post<PaymentView>($"{AppPath}/payments/{Uri.EscapeDataString(paymentId)}/otp", new { code }, idempotencyKey ?? IdempotencyKey);
        return Redirect(Request.Path, payment.Status == PaymentStatus.Succeeded ? $"Paid {Format.Money(payment.AmountUsd)}." : null);
    }
}
