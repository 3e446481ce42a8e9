export interface RolloutPlan {
    steps: number[];
    stepEvery?: string;
    minSessions?: number;
    minCrashFree?: number;
    maxCrashFreeDrop?: number;
}

export interface Version {
    id: number;
    platform: string;
    channel: string;
    versionCode: number;
    versionName: string;
    changelog: string | null;
    isForceUpdate: boolean;
    isEnabled: boolean;
    minSupportedVersionCode: number | null;
    rolloutPercent: number;
    rolloutPlan: RolloutPlan | null;
    rolloutState: string | null;
    forceAfterDays: number | null;
    artifact: { key: string; fileName: string; fileSize: number; sha256: string; packageName: string | null } | null;
    externalUrl: string | null;
    releasedAt: string | null;
    updatedAt: string;
    revision: number;
}

export interface Detected {
    platform: string | null;
    packageName: string | null;
    versionCode: number | null;
    versionName: string | null;
    minOsVersion: string | null;
}

export interface Decision {
    at: string;
    action: string;
    from: number | null;
    to: number | null;
    by: string;
    reason: string | null;
}

export interface Rollout {
    plan: RolloutPlan | null;
    state: string | null;
    rolloutPercent: number;
    lastStepAt: string | null;
    nextStepAt: string | null;
    decisions: Decision[];
}

export interface HealthSide {
    versionCode: number;
    sessions: number;
    crashedSessions: number;
    crashFreeSessions: number | null;
    users: number;
    crashedUsers: number;
    crashFreeUsers: number | null;
}

export interface Health {
    window: { from: string; to: string };
    version: HealthSide;
    control: HealthSide | null;
    verdict: string;
    reasons: string[];
}
