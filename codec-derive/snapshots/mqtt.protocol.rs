const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl _codec::Protocol for Mqtt {
        type Header = Fixed;
        const TAG_MAX: _codec::__private::u64 = _codec::__private::tag_limit(
            _codec::__private::tag_limit(
                _codec::__private::tag_limit(0, <Publish as _codec::Message>::TAG_MAX),
                <PubAck as _codec::Message>::TAG_MAX,
            ),
            <PingReq as _codec::Message>::TAG_MAX,
        );
        const MESSAGES: &'static [_codec::__private::MessageShape] = &[
            _codec::__private::MessageShape {
                id: <Publish as _codec::Message>::ID,
                name: <Publish as _codec::Message>::NAME,
                shape: || _codec::__private::Shape::Opaque,
            },
            _codec::__private::MessageShape {
                id: <PubAck as _codec::Message>::ID,
                name: <PubAck as _codec::Message>::NAME,
                shape: || <PubAck as _codec::Encode>::SHAPE,
            },
            _codec::__private::MessageShape {
                id: <PingReq as _codec::Message>::ID,
                name: <PingReq as _codec::Message>::NAME,
                shape: || <PingReq as _codec::Encode>::SHAPE,
            },
        ];
        #[inline]
        fn tag(&self) -> _codec::__private::Option<_codec::__private::u64> {
            match self {
                Self::Publish(__m) => _codec::Message::tag(__m),
                Self::PubAck(__m) => _codec::Message::tag(__m),
                Self::PingReq(__m) => _codec::Message::tag(__m),
            }
        }
        #[inline]
        fn set_tag(&mut self, __tag: _codec::__private::u64) -> _codec::__private::bool {
            match self {
                Self::Publish(__m) => _codec::Message::set_tag(__m, __tag),
                Self::PubAck(__m) => _codec::Message::set_tag(__m, __tag),
                Self::PingReq(__m) => _codec::Message::set_tag(__m, __tag),
            }
        }
        #[inline]
        fn id(&self) -> _codec::__private::u64 {
            match self {
                Self::Publish(_) => <Publish as _codec::Message>::ID,
                Self::PubAck(_) => <PubAck as _codec::Message>::ID,
                Self::PingReq(_) => <PingReq as _codec::Message>::ID,
            }
        }
        fn name(&self) -> &'static _codec::__private::str {
            match self {
                Self::Publish(_) => <Publish as _codec::Message>::NAME,
                Self::PubAck(_) => <PubAck as _codec::Message>::NAME,
                Self::PingReq(_) => <PingReq as _codec::Message>::NAME,
            }
        }
        fn name_of(
            __id: _codec::__private::u64,
        ) -> _codec::__private::Option<&'static _codec::__private::str> {
            match __id {
                <Publish as _codec::Message>::ID => {
                    _codec::__private::Some(<Publish as _codec::Message>::NAME)
                }
                <PubAck as _codec::Message>::ID => {
                    _codec::__private::Some(<PubAck as _codec::Message>::NAME)
                }
                <PingReq as _codec::Message>::ID => {
                    _codec::__private::Some(<PingReq as _codec::Message>::NAME)
                }
                _ => _codec::__private::None,
            }
        }
        #[inline]
        fn payload_len(&self) -> _codec::__private::usize {
            match self {
                Self::Publish(__m) => {
                    #[allow(unused_variables)]
                    let msg = __m;
                    #[allow(unused_variables)]
                    let header: Fixed = Fixed {
                        flags: msg.qos << 1,
                        .._codec::__private::Default::default()
                    };
                    <Publish as _codec::EncodeWith>::encoded_len_in(
                        __m,
                        {
                            let __ctx_v0 = header.flags;
                            type __Ctx = <Publish as _codec::EncodeWith>::Ctx;
                            __Ctx { flags: __ctx_v0 }
                        },
                    )
                }
                Self::PubAck(__m) => _codec::Encode::encoded_len(__m),
                Self::PingReq(__m) => _codec::Encode::encoded_len(__m),
            }
        }
        #[inline]
        fn encode_payload<__S: _codec::Sink + ?_codec::__private::Sized>(
            &self,
            __buf: &mut __S,
        ) -> _codec::__private::Result<(), _codec::EncodeError> {
            match self {
                Self::Publish(__m) => {
                    #[allow(unused_variables)]
                    let msg = __m;
                    #[allow(unused_variables)]
                    let header: Fixed = Fixed {
                        flags: msg.qos << 1,
                        .._codec::__private::Default::default()
                    };
                    <Publish as _codec::EncodeWith>::encode_in(
                        __m,
                        __buf,
                        {
                            let __ctx_v0 = header.flags;
                            type __Ctx = <Publish as _codec::EncodeWith>::Ctx;
                            __Ctx { flags: __ctx_v0 }
                        },
                    )
                }
                Self::PubAck(__m) => {
                    _codec::Encode::encode_with(__m, __buf, _codec::Endian::Big)
                }
                Self::PingReq(__m) => {
                    _codec::Encode::encode_with(__m, __buf, _codec::Endian::Big)
                }
            }
        }
        #[inline]
        fn write_header<__S: _codec::Sink + ?_codec::__private::Sized>(
            &self,
            __len: _codec::__private::usize,
            __buf: &mut __S,
        ) -> _codec::__private::Result<(), _codec::EncodeError> {
            #[allow(unreachable_patterns)]
            match self {
                Self::Publish(__m) => {
                    #[allow(unused_variables)]
                    let msg = __m;
                    #[allow(unused_variables)]
                    let header: Fixed = Fixed {
                        flags: msg.qos << 1,
                        .._codec::__private::Default::default()
                    };
                    _codec::__private::HeaderValue::write_value(
                        header,
                        <Publish as _codec::Message>::ID,
                        __len,
                        __buf,
                    )
                }
                Self::PubAck(__m) => {
                    #[allow(unused_variables)]
                    let msg = __m;
                    #[allow(unused_variables)]
                    let header: Fixed = Fixed {
                        flags: 0,
                        .._codec::__private::Default::default()
                    };
                    _codec::__private::HeaderValue::write_value(
                        header,
                        <PubAck as _codec::Message>::ID,
                        __len,
                        __buf,
                    )
                }
                _ => {
                    <Fixed as _codec::Header>::write(
                        <Self as _codec::Protocol>::id(self),
                        __len,
                        __buf,
                    )
                }
            }
        }
    }
    #[automatically_derived]
    impl<'de> _codec::DecodeProtocol<'de> for Mqtt {
        #[inline]
        fn decode_payload(
            __id: _codec::__private::u64,
            __payload: &mut _codec::Reader<'de>,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            match __id {
                <Publish as _codec::Message>::ID => {
                    _codec::__private::Err(
                        _codec::__private::needs_header(
                            __payload,
                            <Publish as _codec::Message>::NAME,
                        ),
                    )
                }
                <PubAck as _codec::Message>::ID => {
                    <PubAck as _codec::Decode<'de>>::decode(__payload).map(Self::PubAck)
                }
                <PingReq as _codec::Message>::ID => {
                    <PingReq as _codec::Decode<'de>>::decode(__payload)
                        .map(Self::PingReq)
                }
                _ => {
                    _codec::__private::Err(
                        _codec::__private::unknown_id(__id, __payload),
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
                <PubAck as _codec::Message>::ID => {
                    __ex.push(<PubAck as _codec::Message>::NAME);
                    let __r = <PubAck as _codec::Decode<
                        'de,
                    >>::explain_with(__payload, _codec::Endian::Big, __ex);
                    __ex.pop();
                    __r.map(|_| ())
                }
                <PingReq as _codec::Message>::ID => {
                    __ex.push(<PingReq as _codec::Message>::NAME);
                    let __r = <PingReq as _codec::Decode<
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
        fn decode_framed(
            __header: &'de [_codec::__private::u8],
            __id: _codec::__private::u64,
            __payload: &mut _codec::Reader<'de>,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            match __id {
                <Publish as _codec::Message>::ID => {
                    let __start = __payload.offset();
                    #[allow(unused_variables)]
                    let header: Fixed = <Fixed as _codec::__private::HeaderValue>::value(
                        __header,
                    )?;
                    let __msg = <Publish as _codec::DecodeWith<
                        'de,
                    >>::decode_in(
                        __payload,
                        {
                            let __ctx_v0 = header.flags;
                            type __Ctx<'__ctx_de> = <Publish as _codec::DecodeWith<
                                '__ctx_de,
                            >>::Ctx;
                            __Ctx { flags: __ctx_v0 }
                        },
                    )?;
                    if header.flags
                        != {
                            #[allow(unused_variables)]
                            let msg = &__msg;
                            msg.qos << 1
                        }
                    {
                        return _codec::__private::Err(
                            _codec::__private::header_disagrees(
                                __start,
                                __header.len(),
                                <Fixed as _codec::Header>::NAME,
                                "flags",
                                "header field `flags` disagrees with the Publish message",
                            ),
                        );
                    }
                    _codec::__private::Ok(Self::Publish(__msg))
                }
                <PubAck as _codec::Message>::ID => {
                    let __start = __payload.offset();
                    #[allow(unused_variables)]
                    let header: Fixed = <Fixed as _codec::__private::HeaderValue>::value(
                        __header,
                    )?;
                    let __msg = <PubAck as _codec::Decode<'de>>::decode(__payload)?;
                    if header.flags
                        != {
                            #[allow(unused_variables)]
                            let msg = &__msg;
                            0
                        }
                    {
                        return _codec::__private::Err(
                            _codec::__private::header_disagrees(
                                __start,
                                __header.len(),
                                <Fixed as _codec::Header>::NAME,
                                "flags",
                                "header field `flags` disagrees with the PubAck message",
                            ),
                        );
                    }
                    _codec::__private::Ok(Self::PubAck(__msg))
                }
                _ => {
                    <Self as _codec::DecodeProtocol<
                        'de,
                    >>::decode_payload(__id, __payload)
                }
            }
        }
        fn explain_framed(
            __header: &'de [_codec::__private::u8],
            __id: _codec::__private::u64,
            __payload: &mut _codec::Reader<'de>,
            __ex: &mut _codec::Explainer,
        ) -> _codec::__private::Result<(), _codec::DecodeError> {
            match __id {
                <Publish as _codec::Message>::ID => {
                    let __start = __payload.offset();
                    #[allow(unused_variables)]
                    let header: Fixed = <Fixed as _codec::__private::HeaderValue>::value(
                        __header,
                    )?;
                    __ex.push(<Publish as _codec::Message>::NAME);
                    let __r = <Publish as _codec::DecodeWith<
                        'de,
                    >>::explain_in(
                        __payload,
                        {
                            let __ctx_v0 = header.flags;
                            type __Ctx<'__ctx_de> = <Publish as _codec::DecodeWith<
                                '__ctx_de,
                            >>::Ctx;
                            __Ctx { flags: __ctx_v0 }
                        },
                        __ex,
                    );
                    __ex.pop();
                    let __msg = __r?;
                    if header.flags
                        != {
                            #[allow(unused_variables)]
                            let msg = &__msg;
                            msg.qos << 1
                        }
                    {
                        return _codec::__private::Err(
                            _codec::__private::header_disagrees(
                                __start,
                                __header.len(),
                                <Fixed as _codec::Header>::NAME,
                                "flags",
                                "header field `flags` disagrees with the Publish message",
                            ),
                        );
                    }
                    _codec::__private::Ok(())
                }
                <PubAck as _codec::Message>::ID => {
                    let __start = __payload.offset();
                    #[allow(unused_variables)]
                    let header: Fixed = <Fixed as _codec::__private::HeaderValue>::value(
                        __header,
                    )?;
                    __ex.push(<PubAck as _codec::Message>::NAME);
                    let __r = <PubAck as _codec::Decode<
                        'de,
                    >>::explain_with(__payload, _codec::Endian::Big, __ex);
                    __ex.pop();
                    let __msg = __r?;
                    if header.flags
                        != {
                            #[allow(unused_variables)]
                            let msg = &__msg;
                            0
                        }
                    {
                        return _codec::__private::Err(
                            _codec::__private::header_disagrees(
                                __start,
                                __header.len(),
                                <Fixed as _codec::Header>::NAME,
                                "flags",
                                "header field `flags` disagrees with the PubAck message",
                            ),
                        );
                    }
                    _codec::__private::Ok(())
                }
                _ => {
                    <Self as _codec::DecodeProtocol<
                        'de,
                    >>::explain_payload(__id, __payload, __ex)
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
                <PingReq as _codec::Message>::ID => {
                    _codec::__private::decode_variant_exact::<
                        PingReq,
                        Self,
                    >(__payload, Self::PingReq)
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
    impl _codec::Encode for Mqtt {
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
    impl<'de> _codec::Decode<'de> for Mqtt {
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
    impl _codec::__private::From<Publish> for Mqtt {
        #[inline]
        fn from(m: Publish) -> Self {
            Self::Publish(m)
        }
    }
    #[automatically_derived]
    impl _codec::__private::TryFrom<Mqtt> for Publish {
        type Error = Mqtt;
        #[inline]
        fn try_from(p: Mqtt) -> _codec::__private::Result<Self, Mqtt> {
            match p {
                Mqtt::Publish(m) => _codec::__private::Ok(m),
                other => _codec::__private::Err(other),
            }
        }
    }
    #[automatically_derived]
    impl _codec::__private::From<PubAck> for Mqtt {
        #[inline]
        fn from(m: PubAck) -> Self {
            Self::PubAck(m)
        }
    }
    #[automatically_derived]
    impl _codec::__private::TryFrom<Mqtt> for PubAck {
        type Error = Mqtt;
        #[inline]
        fn try_from(p: Mqtt) -> _codec::__private::Result<Self, Mqtt> {
            match p {
                Mqtt::PubAck(m) => _codec::__private::Ok(m),
                other => _codec::__private::Err(other),
            }
        }
    }
    #[automatically_derived]
    impl _codec::__private::From<PingReq> for Mqtt {
        #[inline]
        fn from(m: PingReq) -> Self {
            Self::PingReq(m)
        }
    }
    #[automatically_derived]
    impl _codec::__private::TryFrom<Mqtt> for PingReq {
        type Error = Mqtt;
        #[inline]
        fn try_from(p: Mqtt) -> _codec::__private::Result<Self, Mqtt> {
            match p {
                Mqtt::PingReq(m) => _codec::__private::Ok(m),
                other => _codec::__private::Err(other),
            }
        }
    }
    const _: () = if !_codec::__private::id_fits(
        <Publish as _codec::Message>::ID,
        <Fixed as _codec::Header>::MAX_ID,
    ) {
        _codec::__private::panic!(
            "the id of variant `Publish` does not fit the header's id field"
        )
    };
    const _: () = if !_codec::__private::id_fits(
        <PubAck as _codec::Message>::ID,
        <Fixed as _codec::Header>::MAX_ID,
    ) {
        _codec::__private::panic!(
            "the id of variant `PubAck` does not fit the header's id field"
        )
    };
    const _: () = if !_codec::__private::id_fits(
        <PingReq as _codec::Message>::ID,
        <Fixed as _codec::Header>::MAX_ID,
    ) {
        _codec::__private::panic!(
            "the id of variant `PingReq` does not fit the header's id field"
        )
    };
    const _: () = if _codec::__private::same_id(
        <Publish as _codec::Message>::ID,
        <PubAck as _codec::Message>::ID,
    ) {
        _codec::__private::panic!("variants `Publish` and `PubAck` have the same id")
    };
    const _: () = if _codec::__private::same_id(
        <Publish as _codec::Message>::ID,
        <PingReq as _codec::Message>::ID,
    ) {
        _codec::__private::panic!("variants `Publish` and `PingReq` have the same id")
    };
    const _: () = if _codec::__private::same_id(
        <PubAck as _codec::Message>::ID,
        <PingReq as _codec::Message>::ID,
    ) {
        _codec::__private::panic!("variants `PubAck` and `PingReq` have the same id")
    };
};
