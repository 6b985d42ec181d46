using Billing.Apps;
using Billing.Errors;
using Billing.Notifications;
using Billing.Rules;
using Microsoft.Extensions.Logging;

namespace Billing.Payments;

/// <summary>
/// One app's payment-method vault (M1, M3): tokenizes and stores methods, hands a method's token to whoever charges it,
/// and sends each card's expiry notices once. Non-reentrant: the notice flags and the auto-reload method are decided
/// with the whole vault in hand.
/// </summary>
public sealed partial class PaymentMethodsGrain(
    [PersistentState("payment-methods", StorageNames.Billing)] IPersistentState<PaymentMethodsState> state,
    IPaymentGateway gateway,
    WorkspaceTime time,
    IBillingEventSink events,
    ILogger<PaymentMethodsGrain> logger) : Grain, IPaymentMethodsGrain, IRemindable
{
    private const string DueReminder = "card-expiry";
    private AppView? _app;

    private string AppId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _app = await GrainFactory.GetGrain<IAppGrain>(AppId).Get();
        if (_app is null || state.State.Imported)
            return;
        // The methods of a state from before the vault had its own grain: taken over once, then forgotten there.
        var legacy = await GrainFactory.GetGrain<IAppPaymentsMigration>(AppId).TakeVault();
        foreach (var method in legacy.Methods)
            state.State.Methods.TryAdd(method.Id, method);
        state.State.MethodSequence = Math.Max(state.State.MethodSequence, legacy.MethodSequence);
        state.State.AutoReloadMethodId ??= legacy.AutoReloadMethodId;
        state.State.Imported = true;
        await state.WriteStateAsync(cancellationToken);
        if (legacy.Methods.Count > 0)
        {
            LogImported(AppId, legacy.Methods.Count);
            await ScheduleAsync(await NowAsync());
        }

        await GrainFactory.GetGrain<IAppPaymentsMigration>(AppId).VaultTaken();
    }

    async Task<PaymentMethodView> IPaymentMethodsGrain.AddPaymentMethod(AddPaymentMethod command)
    {
        await AppScope.RequireSelfServiceAsync(GrainFactory, RequireApp());
        var token = command.Kind switch
        {
            PaymentMethodKind.Card => await gateway.TokenizeCard(command.Card ?? throw BillingException.Invalid("card", "payment-method.card.missing", "A card method needs the card's details.")),
            PaymentMethodKind.PayPal => await gateway.LinkPayPal(command.PayPalEmail ?? ""),
            _ => throw BillingException.Invalid("kind", "payment-method.kind.invalid", "A stored method is a Card or PayPal; a wire transfer is chosen per payment."),
        };
        var method = new StoredPaymentMethod
        {
            Id = $"pm_{++state.State.MethodSequence}",
            Kind = command.Kind,
            Token = token.Token,
            Brand = token.Brand,
            Last4 = token.Last4,
            ExpiryMonth = token.ExpiryMonth,
            ExpiryYear = token.ExpiryYear,
            PayPalEmail = command.Kind == PaymentMethodKind.PayPal ? command.PayPalEmail!.Trim() : null,
            AddedAt = await NowAsync(),
        };
        state.State.Methods[method.Id] = method;
        await state.WriteStateAsync();
        await ScheduleAsync(method.AddedAt);
        return method.View();
    }

    Task<IReadOnlyList<PaymentMethodView>> IPaymentMethodsGrain.GetPaymentMethods()
    {
        RequireApp();
        return Task.FromResult<IReadOnlyList<PaymentMethodView>>([.. state.State.Methods.Values.OrderBy(m => m.AddedAt).ThenBy(m => m.Id, StringComparer.Ordinal).Select(m => m.View())]);
    }

    async Task IPaymentMethodsGrain.RemovePaymentMethod(string paymentMethodId, string userId)
    {
        await AppScope.RequireSelfServiceAsync(GrainFactory, RequireApp());
        var method = RequireMethod(paymentMethodId);
        if (state.State.AutoReloadMethodId == method.Id)
            throw BillingException.Conflict("payment-method.in-use", "Auto-reload charges this method: choose another one or switch auto-reload off first.");
        state.State.Methods.Remove(method.Id);
        await state.WriteStateAsync();
    }

    Task<ChargeableMethod> IPaymentMethodsGrain.GetChargeableMethod(string paymentMethodId)
    {
        RequireApp();
        return Task.FromResult(Chargeable(RequireMethod(paymentMethodId)));
    }

    Task<ChargeableMethod?> IPaymentMethodsGrain.FindChargeableMethod(string paymentMethodId) =>
        Task.FromResult(state.State.Methods.TryGetValue(paymentMethodId, out var method) ? Chargeable(method) : null);

    async Task<ChargeableMethod?> IPaymentMethodsGrain.UseForAutoReload(string? paymentMethodId)
    {
        RequireApp();
        ChargeableMethod? chargeable = null;
        if (paymentMethodId is not null)
        {
            var method = RequireMethod(paymentMethodId);
            if (method.Kind == PaymentMethodKind.WireTransfer)
                throw BillingException.Invalid("paymentMethodId", "auto-reload.method.invalid", "Auto-reload charges a card or PayPal, never a wire transfer.");
            chargeable = Chargeable(method);
        }

        if (state.State.AutoReloadMethodId != paymentMethodId)
        {
            state.State.AutoReloadMethodId = paymentMethodId;
            await state.WriteStateAsync();
        }

        return chargeable;
    }

    async Task IPaymentMethodsGrain.RunDue()
    {
        if (_app is not null)
            await RunDueAsync();
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        // A tick only wakes the grain: the persisted notice flags decide, so a missed or doubled tick changes nothing.
        if (reminderName == DueReminder && _app is not null)
            await RunDueAsync();
    }

    private async Task RunDueAsync()
    {
        var now = await NowAsync();
        await SendCardExpiryNoticesAsync(now);
        await ScheduleAsync(now);
    }

    /// <summary>M3: the notice 30 days before a stored card expires and the one when it has, each once per card.</summary>
    private async Task SendCardExpiryNoticesAsync(DateTimeOffset now)
    {
        var app = RequireApp();
        foreach (var card in state.State.Methods.Values.Where(m => m.Kind == PaymentMethodKind.Card && m.ExpiryMonth is not null).ToList())
        {
            var month = card.ExpiryMonth!.Value;
            var year = card.ExpiryYear!.Value;
            if (CardExpiryRules.NoticeDue(month, year, card.ExpiringNoticeSent, card.ExpiredNoticeSent, now) is not { } notice)
                continue;
            var expired = notice == CardNotice.Expired;
            await events.Publish(new PaymentMethodExpiry
            {
                EventId = $"{(expired ? "card-expired" : "card-expiring")}:{AppId}:{card.Id}",
                WorkspaceId = app.WorkspaceId,
                OccurredAt = now,
                AppId = AppId,
                AppName = app.Name,
                OwnerUserId = app.OwnerUserId,
                PaymentMethod = card.Summary,
                ExpiresOn = DateOnly.FromDateTime(PaymentRules.ExpiresAt(month, year).UtcDateTime.AddDays(-1)),
                HasExpired = expired,
            });
            card.ExpiringNoticeSent = true;
            card.ExpiredNoticeSent |= expired;
            await state.WriteStateAsync();
            // The method id and expiry only: never a card number (only the last 4 are kept, and not logged either).
            LogCardExpiryNotice(AppId, card.Id, expired ? "expired" : "expiring", month, year);
        }
    }

    /// <summary>Arms the reminder for the next notice due (a tick only wakes the grain), or removes it when none is.</summary>
    private async Task ScheduleAsync(DateTimeOffset now)
    {
        var due = state.State.Methods.Values
            .Where(m => m.Kind == PaymentMethodKind.Card && m.ExpiryMonth is not null)
            .Select(m => CardExpiryRules.NextNoticeAt(m.ExpiryMonth!.Value, m.ExpiryYear!.Value, m.ExpiringNoticeSent, m.ExpiredNoticeSent))
            .Where(d => d is not null)
            .Select(d => d!.Value)
            .ToList();
        if (due.Count == 0)
        {
            if (await this.GetReminder(DueReminder) is { } reminder)
                await this.UnregisterReminder(reminder);
            return;
        }

        var wait = due.Min() - now;
        await this.RegisterOrUpdateReminder(DueReminder, wait > TimeSpan.FromMinutes(1) ? wait : TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
    }

    private static ChargeableMethod Chargeable(StoredPaymentMethod method) => new(method.Id, method.Token, method.Summary);

    private async Task<DateTimeOffset> NowAsync() => await time.NowAsync(RequireApp().WorkspaceId);

    private AppView RequireApp() => AppScope.Require(_app, AppId);

    private StoredPaymentMethod RequireMethod(string? paymentMethodId) =>
        paymentMethodId is not null && state.State.Methods.TryGetValue(paymentMethodId, out var method)
            ? method
            : throw BillingException.Invalid("paymentMethodId", "payment-method.not-found", $"App '{AppId}' has no payment method '{paymentMethodId}'.");

    [LoggerMessage(Level = LogLevel.Information, Message = "PaymentMethodsGrain {AppId}: {Count} stored method(s) taken over from the state before the split")]
    private partial void LogImported(string appId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "PaymentMethodsGrain {AppId}: card {PaymentMethodId} {Notice} notice sent (expires end of {ExpiryMonth}/{ExpiryYear})")]
    private partial void LogCardExpiryNotice(string appId, string paymentMethodId, string notice, int expiryMonth, int expiryYear);
}
