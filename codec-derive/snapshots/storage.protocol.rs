const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl _codec::Protocol for Storage {
        type Header = _codec::StdHeader;
        const TAG_MAX: _codec::__private::u64 = _codec::__private::tag_limit(
            _codec::__private::tag_limit(0, <StoreRequest as _codec::Message>::TAG_MAX),
            <StoreResponse as _codec::Message>::TAG_MAX,
        );
        const MESSAGES: &'static [_codec::__private::MessageShape] = &[
            _codec::__private::MessageShape {
                id: <StoreRequest as _codec::Message>::ID,
                name: <StoreRequest as _codec::Message>::NAME,
                shape: || <StoreRequest as _codec::Encode>::SHAPE,
            },
            _codec::__private::MessageShape {
                id: <StoreResponse as _codec::Message>::ID,
                name: <StoreResponse as _codec::Message>::NAME,
                shape: || <StoreResponse as _codec::Encode>::SHAPE,
            },
        ];
        #[inline]
        fn tag(&self) -> _codec::__private::Option<_codec::__private::u64> {
            match self {
                Self::StoreRequest(__m) => _codec::Message::tag(__m),
                Self::StoreResponse(__m) => _codec::Message::tag(__m),
                Self::Unknown(_) => _codec::__private::None,
            }
        }
        #[inline]
        fn set_tag(&mut self, __tag: _codec::__private::u64) -> _codec::__private::bool {
            match self {
                Self::StoreRequest(__m) => _codec::Message::set_tag(__m, __tag),
                Self::StoreResponse(__m) => _codec::Message::set_tag(__m, __tag),
                Self::Unknown(_) => false,
            }
        }
        #[inline]
        fn id(&self) -> _codec::__private::u64 {
            match self {
                Self::StoreRequest(_) => <StoreRequest as _codec::Message>::ID,
                Self::StoreResponse(_) => <StoreResponse as _codec::Message>::ID,
                Self::Unknown(__m) => __m.id,
            }
        }
        fn name(&self) -> &'static _codec::__private::str {
            match self {
                Self::StoreRequest(_) => <StoreRequest as _codec::Message>::NAME,
                Self::StoreResponse(_) => <StoreResponse as _codec::Message>::NAME,
                Self::Unknown(_) => _codec::RawFrame::NAME,
            }
        }
        fn name_of(
            __id: _codec::__private::u64,
        ) -> _codec::__private::Option<&'static _codec::__private::str> {
            match __id {
                <StoreRequest as _codec::Message>::ID => {
                    _codec::__private::Some(<StoreRequest as _codec::Message>::NAME)
                }
                <StoreResponse as _codec::Message>::ID => {
                    _codec::__private::Some(<StoreResponse as _codec::Message>::NAME)
                }
                _ => _codec::__private::None,
            }
        }
        #[inline]
        fn payload_len(&self) -> _codec::__private::usize {
            match self {
                Self::StoreRequest(__m) => _codec::Encode::encoded_len(__m),
                Self::StoreResponse(__m) => _codec::Encode::encoded_len(__m),
                Self::Unknown(__m) => _codec::Encode::encoded_len(__m),
            }
        }
        #[inline]
        fn encode_payload<__S: _codec::Sink + ?_codec::__private::Sized>(
            &self,
            __buf: &mut __S,
        ) -> _codec::__private::Result<(), _codec::EncodeError> {
            match self {
                Self::StoreRequest(__m) => {
                    _codec::Encode::encode_with(__m, __buf, _codec::Endian::Big)
                }
                Self::StoreResponse(__m) => {
                    _codec::Encode::encode_with(__m, __buf, _codec::Endian::Big)
                }
                Self::Unknown(__m) => {
                    match <Self as _codec::Protocol>::name_of(__m.id) {
                        _codec::__private::Some(_) => {
                            _codec::__private::Err(
                                _codec::EncodeError::new(
                                    _codec::EncodeErrorKind::Invalid(
                                        "an `other` frame cannot carry an id a message claims",
                                    ),
                                ),
                            )
                        }
                        _codec::__private::None => {
                            _codec::Encode::encode_with(__m, __buf, _codec::Endian::Big)
                        }
                    }
                }
            }
        }
    }
    #[automatically_derived]
    impl<'de> _codec::DecodeProtocol<'de> for Storage {
        #[inline]
        fn decode_payload(
            __id: _codec::__private::u64,
            __payload: &mut _codec::Reader<'de>,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            match __id {
                <StoreRequest as _codec::Message>::ID => {
                    <StoreRequest as _codec::Decode<'de>>::decode(__payload)
                        .map(Self::StoreRequest)
                }
                <StoreResponse as _codec::Message>::ID => {
                    <StoreResponse as _codec::Decode<'de>>::decode(__payload)
                        .map(Self::StoreResponse)
                }
                _ => {
                    _codec::__private::Ok(
                        Self::Unknown(_codec::RawFrame::read(__id, __payload)),
                    )
                }
            }
        }
        fn explain_payload(
            __id: _codec::__private::u64,
            __payload: &mut _codec::Reader<'de>,
            __ex: &mut _codec::Explainer,
        ) -> _codec::__private::Result<(), _codec::DecodeError> {
            match __id {
                <StoreRequest as _codec::Message>::ID => {
                    __ex.push(<StoreRequest as _codec::Message>::NAME);
                    let __r = <StoreRequest as _codec::Decode<
                        'de,
                    >>::explain_with(__payload, _codec::Endian::Big, __ex);
                    __ex.pop();
                    __r.map(|_| ())
                }
                <StoreResponse as _codec::Message>::ID => {
                    __ex.push(<StoreResponse as _codec::Message>::NAME);
                    let __r = <StoreResponse as _codec::Decode<
                        'de,
                    >>::explain_with(__payload, _codec::Endian::Big, __ex);
                    __ex.pop();
                    __r.map(|_| ())
                }
                _ => {
                    <Self as _codec::DecodeProtocol<
                        'de,
                    >>::decode_payload(__id, __payload)
                        .map(|_| ())
                }
            }
        }
        #[inline]
        fn decode_framed_exact(
            __header: &'de [_codec::__private::u8],
            __id: _codec::__private::u64,
            __payload: &mut _codec::Reader<'de>,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            match __id {
                <StoreRequest as _codec::Message>::ID => {
                    _codec::__private::decode_variant_exact::<
                        StoreRequest,
                        Self,
                    >(__payload, Self::StoreRequest)
                }
                <StoreResponse as _codec::Message>::ID => {
                    _codec::__private::decode_variant_exact::<
                        StoreResponse,
                        Self,
                    >(__payload, Self::StoreResponse)
                }
                _ => {
                    _codec::__private::decode_payload_exact(
                        __payload,
                        |__r| {
                            <Self as _codec::DecodeProtocol<
                                'de,
                            >>::decode_framed(__header, __id, __r)
                        },
                    )
                }
            }
        }
    }
    /// The whole frame: header, then payload.
    #[automatically_derived]
    impl _codec::Encode for Storage {
        #[inline]
        fn encoded_len(&self) -> _codec::__private::usize {
            _codec::__private::frame_len(self)
        }
        #[inline]
        fn encode_with<__S: _codec::Sink + ?_codec::__private::Sized>(
            &self,
            __buf: &mut __S,
            _: _codec::Endian,
        ) -> _codec::__private::Result<(), _codec::EncodeError> {
            _codec::__private::encode_frame(self, __buf)
        }
    }
    /// The whole frame: header, then payload.
    #[automatically_derived]
    impl<'de> _codec::Decode<'de> for Storage {
        #[inline]
        fn decode_with(
            __r: &mut _codec::Reader<'de>,
            _: _codec::Endian,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            _codec::__private::decode_frame(__r)
        }
        #[inline]
        fn from_bytes(
            __bytes: &'de [_codec::__private::u8],
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            _codec::__private::decode_frame_exact(__bytes)
        }
    }
    #[automatically_derived]
    impl _codec::__private::From<StoreRequest> for Storage {
        #[inline]
        fn from(m: StoreRequest) -> Self {
            Self::StoreRequest(m)
        }
    }
    #[automatically_derived]
    impl _codec::__private::TryFrom<Storage> for StoreRequest {
        type Error = Storage;
        #[inline]
        fn try_from(p: Storage) -> _codec::__private::Result<Self, Storage> {
            match p {
                Storage::StoreRequest(m) => _codec::__private::Ok(m),
                other => _codec::__private::Err(other),
            }
        }
    }
    #[automatically_derived]
    impl _codec::__private::From<StoreResponse> for Storage {
        #[inline]
        fn from(m: StoreResponse) -> Self {
            Self::StoreResponse(m)
        }
    }
    #[automatically_derived]
    impl _codec::__private::TryFrom<Storage> for StoreResponse {
        type Error = Storage;
        #[inline]
        fn try_from(p: Storage) -> _codec::__private::Result<Self, Storage> {
            match p {
                Storage::StoreResponse(m) => _codec::__private::Ok(m),
                other => _codec::__private::Err(other),
            }
        }
    }
    #[automatically_derived]
    impl _codec::__private::From<codec::RawFrame> for Storage {
        #[inline]
        fn from(m: codec::RawFrame) -> Self {
            Self::Unknown(m)
        }
    }
    #[automatically_derived]
    impl _codec::__private::TryFrom<Storage> for codec::RawFrame {
        type Error = Storage;
        #[inline]
        fn try_from(p: Storage) -> _codec::__private::Result<Self, Storage> {
            match p {
                Storage::Unknown(m) => _codec::__private::Ok(m),
                other => _codec::__private::Err(other),
            }
        }
    }
    const _: () = if !_codec::__private::id_fits(
        <StoreRequest as _codec::Message>::ID,
        <_codec::StdHeader as _codec::Header>::MAX_ID,
    ) {
        _codec::__private::panic!(
            "the id of variant `StoreRequest` does not fit the header's id field"
        )
    };
    const _: () = if !_codec::__private::id_fits(
        <StoreResponse as _codec::Message>::ID,
        <_codec::StdHeader as _codec::Header>::MAX_ID,
    ) {
        _codec::__private::panic!(
            "the id of variant `StoreResponse` does not fit the header's id field"
        )
    };
    const _: () = if _codec::__private::same_id(
        <StoreRequest as _codec::Message>::ID,
        <StoreResponse as _codec::Message>::ID,
    ) {
        _codec::__private::panic!(
            "variants `StoreRequest` and `StoreResponse` have the same id"
        )
    };
};
