using Orleans.Concurrency;

namespace Billing.Payments;

/// <summary>
/// The purchases of one app (keyed by the app id): adding funds by card (with its OTP), PayPal or wire transfer, and the
/// charge of each. One grain per app is the consistency boundary that makes "one card/PayPal payment at a time" (M1)
/// true whatever the concurrency. Credits land in the app's paid wallet (<see cref="Billing.Wallets.IAppWalletGrain"/>)
/// under the payment's id, so a retry never credits twice. Every payment, finished or not, is a row of the
/// <c>Payments</c> table; the grain's state holds only the payments still open (awaiting an OTP or being charged).
/// Stored methods are <see cref="IPaymentMethodsGrain"/>'s, auto-reload is <see cref="IAutoReloadGrain"/>'s.
/// </summary>
public interface IAppPaymentsGrain : IGrainWithStringKey
{
    /// <summary>
    /// M1, M2: starts adding funds. A card payment answers <see cref="PaymentStatus.RequiresOtp"/>; PayPal is charged at
    /// once; a wire transfer answers <see cref="PaymentStatus.AwaitingTransfer"/>. Idempotent on the payment id.
    /// </summary>
    Task<PaymentView> AddFunds(AddFunds command);

    /// <summary>M1: the cardholder's one-time password for a card payment; a right one charges the card.</summary>
    Task<PaymentView> ConfirmOtp(string paymentId, string code);

    /// <summary>M2: the wire transfer arrived (signed webhook or operator): its credits load. Idempotent.</summary>
    Task<PaymentView> ClearWireTransfer(string paymentId, decimal amountUsd, string clearedBy);

    /// <summary>One payment of the app (a purchase or an auto-reload), or null.</summary>
    Task<PaymentView?> GetPayment(string paymentId);

    /// <summary>Payments (purchases and auto-reloads), newest first: every one of them, page by page from the table.</summary>
    Task<IReadOnlyList<PaymentView>> GetPayments();

    /// <summary>One page of payments, newest first, and the token of the next page (null on the last).</summary>
    Task<PaymentPage> ListPayments(int limit, string? continuation);

    /// <summary>A1: whether a purchase of this app ever completed. A read of one counter, so it may run between the grain's turns.</summary>
    [AlwaysInterleave]
    Task<bool> HasCompletedPurchase();

    /// <summary>
    /// A2, A5: the wallet saw the paid balance fall below the watched limit. Passed on, one-way, to
    /// <see cref="IAutoReloadGrain.PaidBalanceLow"/>, which decides; kept here because the wallet calls it here.
    /// Interleaved: passing a notice on touches no state, so it never waits behind a slow purchase.
    /// </summary>
    [OneWay, AlwaysInterleave]
    Task PaidBalanceLow();

    /// <summary>
    /// For subscriptions: a stored card or PayPal method that can be charged without the owner present. Answered by
    /// <see cref="IPaymentMethodsGrain.GetChargeableMethod"/>; kept here because subscriptions call it here.
    /// </summary>
    [AlwaysInterleave]
    Task<ChargeableMethod> GetChargeableMethod(string paymentMethodId);

    /// <summary>
    /// Does what is due at the app's (test-clock) time: abandons card payments whose OTP never came, finishes an
    /// interrupted charge. What a reminder tick does; a missed or doubled call changes nothing.
    /// </summary>
    Task RunDue();
}
