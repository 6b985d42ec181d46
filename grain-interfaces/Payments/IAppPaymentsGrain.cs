using Orleans.Concurrency;

namespace Billing.Payments;

/// <summary>
/// The money that comes into one app (keyed by the app id): its payment methods, its purchases and wire transfers, and
/// its auto-reload. One grain per app is the consistency boundary that makes "one card/PayPal payment at a time" (M1)
/// and "never two reloads in flight" (A2) true whatever the concurrency. Credits land in the app's paid wallet
/// (<see cref="Billing.Wallets.IAppWalletGrain"/>) under the payment's id, so a retry never credits twice.
/// </summary>
public interface IAppPaymentsGrain : IGrainWithStringKey
{
    /// <summary>M1: stores a card (tokenized by the gateway: token, brand, last 4, expiry only) or a PayPal account. W4: refused in Enterprise workspaces.</summary>
    Task<PaymentMethodView> AddPaymentMethod(AddPaymentMethod command);

    Task<IReadOnlyList<PaymentMethodView>> GetPaymentMethods();

    /// <summary>Removes a stored method (W4: refused in Enterprise workspaces). A method auto-reload uses cannot be removed.</summary>
    Task RemovePaymentMethod(string paymentMethodId, string userId);

    /// <summary>
    /// M1, M2: starts adding funds. A card payment answers <see cref="PaymentStatus.RequiresOtp"/>; PayPal is charged at
    /// once; a wire transfer answers <see cref="PaymentStatus.AwaitingTransfer"/>. Idempotent on the payment id.
    /// </summary>
    Task<PaymentView> AddFunds(AddFunds command);

    /// <summary>M1: the cardholder's one-time password for a card payment; a right one charges the card.</summary>
    Task<PaymentView> ConfirmOtp(string paymentId, string code);

    /// <summary>M2: the wire transfer arrived (signed webhook or operator): its credits load. Idempotent.</summary>
    Task<PaymentView> ClearWireTransfer(string paymentId, decimal amountUsd, string clearedBy);

    Task<PaymentView?> GetPayment(string paymentId);

    /// <summary>Payments, newest first.</summary>
    Task<IReadOnlyList<PaymentView>> GetPayments();

    /// <summary>A1, A4: switches auto-reload on (after a completed purchase) or off, with its settings.</summary>
    Task<AutoReloadView> ConfigureAutoReload(AutoReloadSettings settings, string userId);

    Task<AutoReloadView> GetAutoReload();

    /// <summary>
    /// A2, A5: the wallet saw the paid balance fall below the watched limit. One-way, so the charge path never waits
    /// for it; this grain re-reads the balance and decides (a doubled or stale notice changes nothing).
    /// </summary>
    [OneWay]
    Task PaidBalanceLow();

    /// <summary>For subscriptions: a stored card or PayPal method that can be charged without the owner present.</summary>
    Task<ChargeableMethod> GetChargeableMethod(string paymentMethodId);

    /// <summary>
    /// Does what is due at the app's (test-clock) time: reload retries, abandoned OTPs, card-expiry notices (M3), an
    /// interrupted charge. What a reminder tick does; a missed or doubled call changes nothing.
    /// </summary>
    Task RunDue();
}
