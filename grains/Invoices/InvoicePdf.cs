using System.Globalization;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;

namespace Billing.Invoices;

/// <summary>U4: an invoice as a one-page PDF (PDFsharp): number, date, plan or item, price and total.</summary>
public static class InvoicePdf
{
    /// <summary>Renders <paramref name="invoice"/> (PDFsharp 6.2, MIT-licensed: nothing to configure).</summary>
    public static byte[] Render(Invoice invoice)
    {
        InvoiceFonts.EnsureRegistered();
        using var document = new PdfDocument();
        document.Info.Title = $"Invoice {invoice.Number}";
        document.Info.Subject = invoice.Draft.Plan;
        var page = document.AddPage();
        using (var gfx = XGraphics.FromPdfPage(page))
        {
            var title = new XFont(InvoiceFonts.Family, 20, XFontStyleEx.Bold);
            var bold = new XFont(InvoiceFonts.Family, 10, XFontStyleEx.Bold);
            var body = new XFont(InvoiceFonts.Family, 10, XFontStyleEx.Regular);
            var d = invoice.Draft;
            double y = 60;
            void Text(string text, XFont font, double x) => gfx.DrawString(text, font, XBrushes.Black, new XPoint(x, y));

            Text("Invoice", title, 50);
            y += 30;
            Text($"Number: {invoice.Number}", bold, 50);
            y += 16;
            Text($"Date: {d.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}", body, 50);
            y += 16;
            Text($"Workspace: {d.WorkspaceId}", body, 50);
            if (d.AppName is not null)
            {
                y += 16;
                Text($"App: {d.AppName} ({d.AppId})", body, 50);
            }

            y += 16;
            Text($"Paid with: {d.PaymentMethod}", body, 50);
            y += 34;
            Text("Item", bold, 50);
            Text("Qty", bold, 330);
            Text("Price", bold, 380);
            Text("Amount", bold, 470);
            y += 6;
            gfx.DrawLine(XPens.Black, 50, y, 545, y);
            foreach (var line in d.Lines)
            {
                y += 16;
                Text(line.Description, body, 50);
                Text(line.Quantity.ToString(CultureInfo.InvariantCulture), body, 330);
                Text(Money(line.UnitPriceUsd), body, 380);
                Text(Money(line.AmountUsd), body, 470);
            }

            y += 8;
            gfx.DrawLine(XPens.Black, 50, y, 545, y);
            y += 18;
            Text("Total", bold, 380);
            Text(Money(invoice.TotalUsd), bold, 470);
            y += 30;
            Text($"Plan: {d.Plan} ({Money(d.PlanPriceUsd)})", body, 50);
        }

        using var stream = new MemoryStream();
        document.Save(stream, closeStream: false);
        return stream.ToArray();
    }

    private static string Money(decimal usd) => "$" + usd.ToString("#,##0.00", CultureInfo.InvariantCulture);
}

/// <summary>
/// PDFsharp 6 finds no fonts on Linux by itself: this resolver serves DejaVu Sans from the directory named by
/// <see cref="Directory"/> (the Debian package <c>fonts-dejavu-core</c>, which .ci/run installs). The silo checks the
/// files at start-up (<see cref="Billing.Payments.PaymentsOptions"/>), so a missing font is a start-up error, not a 500.
/// </summary>
public sealed class InvoiceFonts : IFontResolver
{
    public const string Family = "Invoice";
    public const string RegularFile = "DejaVuSans.ttf";
    public const string BoldFile = "DejaVuSans-Bold.ttf";
    private static readonly Lock Gate = new();
    private static string _directory = "/usr/share/fonts/truetype/dejavu";
    private static bool _registered;

    /// <summary>Where the font files are; set from <c>Payments:InvoiceFontDirectory</c> when the silo starts.</summary>
    public static string Directory
    {
        get => _directory;
        set
        {
            lock (Gate)
                _directory = value;
        }
    }

    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered)
                return;
            GlobalFontSettings.FontResolver = new InvoiceFonts();
            _registered = true;
        }
    }

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? BoldFile : RegularFile, false, italic);

    public byte[]? GetFont(string faceName) => File.ReadAllBytes(Path.Combine(Directory, faceName));
}
