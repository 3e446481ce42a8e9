// Sign-in: an admin token pasted here, or brought by a one-time link
// (beacon token --admin --console), kept in sessionStorage only.
import { useState } from 'preact/hooks';
import { t } from '../../lib/i18n';
import { signIn, signOutReason, tokenClaims } from '../../lib/session';

export function SignIn() {
    const [value, setValue] = useState('');
    const [invalid, setInvalid] = useState(false);
    const reason = signOutReason();
    const submit = (e: Event) => {
        e.preventDefault();
        const v = value.trim();
        if (tokenClaims(v) === null) {
            setInvalid(true);
            return;
        }
        signIn(v);
    };
    return (
        <main id="main" class="signin">
            <h1>{t('signin.title')}</h1>
            {reason === 'expired' && <p class="problem" role="alert">{t('signin.expired')}</p>}
            {reason === 'unauthorized' && <p class="problem" role="alert">{t('signin.unauthorized')}</p>}
            {reason === 'signedOut' && <p class="notice" role="status">{t('signin.signedOut')}</p>}
            <form onSubmit={submit}>
                <label for="token">{t('signin.tokenLabel')}</label>
                <textarea id="token" name="token" rows={4} spellcheck={false} autocomplete="off"
                    aria-describedby="token-help" aria-invalid={invalid}
                    value={value} onInput={(e) => { setValue((e.target as HTMLTextAreaElement).value); setInvalid(false); }} />
                <p id="token-help" class="help">{t('signin.help')}</p>
                {invalid && <p class="problem" role="alert">{t('signin.invalid')}</p>}
                <button type="submit">{t('signin.submit')}</button>
            </form>
        </main>
    );
}
