using Billing.Notifications;
using Billing.Payments;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>A1-A5: auto-reload's switch, amount, threshold and method; the API enforces the rules and says why it refuses.</summary>
public sealed class AutoReloadModel : AppPageModel
{
    public AutoReloadView? Reload { get; private set; }

    public IReadOnlyList<PaymentMethodView> Methods { get; private set; } = [];

    public async Task OnGetAsync(string workspaceId, string appId)
    {
        await LoadApp(workspaceId, appId);
        Reload = await Api.Get<AutoReloadView>($"{AppPath}/auto-reload");
        Methods = [.. (await Api.Get<IReadOnlyList<PaymentMethodView>>($"{AppPath}/payment-methods")).Where(m => m.Kind != PaymentMethodKind.WireTransfer)];
    }

    public async Task<IActionResult> OnPostAsync(string workspaceId, string appId, bool enabled, decimal? amountUsd, decimal? minimumBalanceUsd, string? paymentMethodId)
    {
        await LoadApp(workspaceId, appId);
        var saved = await Api.Put<AutoReloadView>($"{AppPath}/auto-reload", new { enabled, amountUsd, minimumBalanceUsd, paymentMethodId });
        return Redirect(Request.Path, saved.Settings.Enabled ? "Auto-reload is on." : "Auto-reload is off.");
    }
}
